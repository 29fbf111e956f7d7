"""What only CLAHE uses: tile geometry and scikit-image's variant."""
