"""Frames through count -> smooth -> plan -> apply, one after the other.

Every frame is split into grey planes (:mod:`.planes`); each plane is
counted (:mod:`.steps`), its histograms enter that plane's smoothed state
(:mod:`.smoothing`), and the plane is finished from the smoothed counts.
Before a frame enters the states, its distance to them decides whether it
starts a new scene: then the states forget every earlier frame. Without
look-ahead, a frame of one uint8 plane (grey, a video's Y plane) is done in
one kernel call (:meth:`.steps.EqualizeStep.run`): the state is advanced
between counting and mapping, by the same code or, for method ``"opencv"``,
by its compiled twin.

With ``lookahead = L > 0`` (centred smoothing) a frame is finished once the
``L`` frames after it have been counted (or the stream has ended): its
histograms are the mean of the past ones (as without look-ahead) and of the
next ``L`` of its scene, frame ``t + k`` weighted as frame ``t - k``. Frames
come out ``L`` frames late; the ``L`` pending frames (their pixels, counts and
result buffers) are held in memory. Scene cuts are found as frames arrive,
against the smoothed state of the frames that arrived before.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .._core.binning import BYTE_LEVELS
from .._core.layout import unshared
from .._core.validate import as_image, check_out
from .planes import Split
from .smoothing import Histograms, Smoothed, decay_of
from .steps import Counted, Setup, Step


@dataclass
class _Pending:
    """A counted frame waiting for the frames after it (look-ahead)."""

    split: Split
    counted: list[Counted]
    scene: int


class FrameStream:
    """The state of one stream of frames.

    Parameters
    ----------
    setup : callable
        ``setup(first_frame, options) -> Setup``: checks the operation's
        options against the first frame (:mod:`.steps`).
    options : dict
        The operation's options.
    smoothing : float
        The time constant of the smoothing, in frames (0: none).
    scene_cut : float or None
        The distance above which a frame starts a new scene (None: never).
    lookahead : int
        Frames of centred smoothing (0: causal).
    """

    def __init__(
        self,
        setup: Callable[[np.ndarray, dict[str, Any]], Setup],
        options: dict[str, Any],
        smoothing: float,
        scene_cut: float | None,
        lookahead: int,
    ) -> None:
        self._make_setup, self._options = setup, options
        self._decay = decay_of(smoothing)
        self._scene_cut = scene_cut
        self._lookahead = lookahead
        self.reset()

    def reset(self) -> None:
        """Forget every frame (and pending ones), the frames' shape and dtype included."""
        self._setup: Setup | None = None
        self._shape: tuple[int, ...] = ()
        self._dtype = np.dtype(np.uint8)
        self._steps: list[Step] = []
        self._states: list[Smoothed] = []  # what the plans smooth over
        self._arrived: list[Smoothed] = []  # look-ahead: the frames that arrived, for scene cuts
        self._pending: deque[_Pending] = deque()
        self._scene = 0  # look-ahead: the scene of the last frame that arrived
        self._finishing_scene = -1  # and of the last frame finished
        self.frames = 0
        self.cuts: list[int] = []

    def push(self, frame: object, out: np.ndarray | None = None) -> list[np.ndarray]:
        """Count ``frame``; returns the frames finished by it (the frame
        itself without look-ahead; with it, the frame ``lookahead`` before,
        or none at the start)."""
        image = self._check(frame)
        assert self._setup is not None  # made by _check
        result = check_out(out, image.shape, self._setup.dtype)
        if result is None:
            result = np.empty(image.shape, self._setup.dtype)
        else:
            image = unshared(image, result)  # an out that overlaps it partially: work from a copy
        split = self._setup.layout.split(image, self._setup.mask, result)
        if not self._steps:
            self._steps = [self._setup.step(plane) for plane, _ in split.planes]
            self._states = [Smoothed(self._decay) for _ in self._steps]
            self._arrived = [Smoothed(self._decay) for _ in self._steps] if self._lookahead else []
        if not self._lookahead:
            return [self._push_causal(split)]
        counted = self._count(split)
        cut = self._starts_scene(self._arrived, [counts for counts, _ in counted])
        self._count_frame(cut)
        if cut:
            self._scene += 1
            for state in self._arrived:
                state.reset()
        for state, (counts, _) in zip(self._arrived, counted):
            state.push(counts)
        self._pending.append(_Pending(split, counted, self._scene))
        finished = []
        while len(self._pending) > self._lookahead:
            finished.append(self._finish_pending())
        return finished

    def flush(self) -> list[np.ndarray]:
        """The frames still pending (look-ahead), finished with the frames there are."""
        return [self._finish_pending() for _ in range(len(self._pending))]

    def _check(self, frame: object) -> np.ndarray:
        image = as_image(frame, "frame")
        if self._setup is None:
            self._setup = self._make_setup(image, self._options)
            self._shape, self._dtype = image.shape, image.dtype
        elif image.shape != self._shape:
            raise ValueError(
                f"frame {self.frames} has shape {image.shape}; the stream's frames have shape {self._shape} "
                "(reset() before a stream of another size)"
            )
        elif image.dtype != self._dtype:
            raise TypeError(
                f"frame {self.frames} has dtype {image.dtype}; the stream's frames have dtype {self._dtype} "
                "(reset() before a stream of another dtype)"
            )
        return image

    def _count(self, split: Split) -> list[Counted]:
        return [
            step.count(plane, mask, target)
            for step, (plane, mask), target in zip(self._steps, split.planes, split.targets)
        ]

    def _push_causal(self, split: Split) -> np.ndarray:
        # Without look-ahead: every plane counted, the states advanced, every plane finished.
        if len(self._steps) == 1:  # one plane: maybe counted, planned and mapped in one kernel call
            (plane, mask), (target,) = split.planes[0], split.targets
            if self._steps[0].run(plane, mask, target, self):
                return split.finish()
        counted = self._count(split)
        for (_, finish), smoothed in zip(counted, self._advance([counts for counts, _ in counted])):
            finish(smoothed)
        return split.finish()

    def advance_one(self, histograms: Histograms) -> Histograms:
        """Without look-ahead, one plane: its histograms into the state (a
        new scene first if they start one); the smoothed histograms."""
        return self._advance([histograms])[0]

    def advance_bytes(self, plane_lut: ModuleType, plane: np.ndarray, target: np.ndarray) -> None:
        """Without look-ahead, one uint8 plane under method ``"opencv"``:
        counted, the state advanced, planned and mapped by compiled code
        (``plane_lut.count_smooth_map``: what :meth:`advance_one` and the
        plan do, to the last bit)."""
        state = self._states[0]
        mean, has_state = state.levels_state(BYTE_LEVELS.nbins)
        counts, cut, restarted = plane_lut.count_smooth_map(
            plane, target, mean, has_state, self._decay, self._scene_cut
        )
        self._count_frame(cut)
        state.adopt(Histograms(counts[None, :], 0, BYTE_LEVELS.nbins), mean, restarted)

    def _advance(self, histograms: list[Histograms]) -> list[Histograms]:
        # Without look-ahead: a frame's histograms (one per plane) into the
        # states, a new scene first if they start one; the smoothed ones.
        cut = self._starts_scene(self._states, histograms)
        self._count_frame(cut)
        smoothed = []
        for state, counts in zip(self._states, histograms):
            if cut:
                state.reset()
            state.push(counts)
            smoothed.append(state.counts())
        return smoothed

    def _count_frame(self, cut: bool) -> None:
        if cut and self.frames:
            self.cuts.append(self.frames)
        self.frames += 1

    def _starts_scene(self, states: list[Smoothed], histograms: list[Histograms]) -> bool:
        # The first frame, bins that changed in number, or a distance above scene_cut.
        distances = [state.distance(counts) for state, counts in zip(states, histograms)]
        if any(math.isinf(d) for d in distances):
            return True
        return self._scene_cut is not None and sum(distances) / len(distances) > self._scene_cut

    def _finish(self, counted: list[Counted], cut: bool, ahead: list[list[Histograms]]) -> None:
        # With look-ahead: a pending frame finished from the states and the frames after it.
        for state, (counts, finish), future in zip(self._states, counted, ahead):
            if cut:
                state.reset()
            state.push(counts)
            finish(state.counts(future))

    def _finish_pending(self) -> np.ndarray:
        entry = self._pending.popleft()
        same_scene = list(itertools.takewhile(lambda later: later.scene == entry.scene, self._pending))
        ahead = [[later.counted[i][0] for later in same_scene] for i in range(len(entry.counted))]
        self._finish(entry.counted, entry.scene != self._finishing_scene, ahead)
        self._finishing_scene = entry.scene
        return entry.split.finish()
