"""What only video uses: histograms smoothed over frames (:mod:`.smoothing`),
frames taken apart into grey planes and put back (:mod:`.planes`), the
operations as count and finish steps (:mod:`.steps`), and the stream that
runs them frame after frame, causally or with look-ahead (:mod:`.stream`)."""
