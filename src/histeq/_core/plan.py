"""The plan as a value: a method's mapping of every bin, built from counts
alone and applied to any pixels of the dtype it was planned for.

Every path that produces counts (one image, each channel, and later batch
items, Dask blocks and video frames) feeds the same :func:`build_plan` and
maps pixels through :meth:`Plan.apply_line`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .binning import Binning, Interp, LevelBins, Mapping
from .layout import line_pairs, unshared
from .methods import Method
from .validate import as_image, check_out, unmask


@dataclass(frozen=True)
class Plan:
    """A method's mapping of every bin of a binning.

    Attributes
    ----------
    method : str
        The equalization method that made it.
    binning : Binning
        How pixel values fall into bins (:mod:`histeq._core.binning`).
    mapping : ndarray or Interp or None
        One output value per bin (a LUT of ``dtype``), scikit-image's
        piecewise-linear :class:`Interp` of values, or None: pixels keep their
        values (a constant image for ``"opencv"``, an empty mask, ...).
    dtype : numpy.dtype
        The dtype of the output.
    input_dtype : numpy.dtype
        The dtype of the images it maps.
    """

    method: str
    binning: Binning
    mapping: Mapping | None
    dtype: np.dtype
    input_dtype: np.dtype

    @property
    def lut(self) -> np.ndarray | None:
        """The output value of every bin (None for an identity or an interpolation)."""
        return None if isinstance(self.mapping, Interp) else self.mapping

    def apply(self, image: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Map every pixel of ``image`` through the plan.

        Parameters
        ----------
        image : ndarray, any shape, of ``input_dtype``
            Any pixels of the kind the counts came from: the image itself, a
            block of it, a frame of a video. Not modified (unless it is
            ``out``). A ``numpy.ma.MaskedArray`` has every pixel mapped (a
            plan counts nothing) and gives a MaskedArray with a copy of its
            mask.
        out : ndarray, optional
            Where to write: ``image``'s shape, the plan's ``dtype``. May be
            ``image`` itself; any other overlap with ``image`` is allowed
            too (it costs one copy of ``image``). Returned when given.

        Returns
        -------
        ndarray
            ``image``'s shape, the plan's ``dtype``. NaN stays NaN; values
            outside the planned range take the first or last bin's value.

        Memory: the output; planes that are not one evenly strided line are
        mapped through a buffer of one plane; an ``out`` that overlaps
        ``image`` other than exactly costs one copy of ``image``.
        """
        data, masked = unmask(image)
        image = as_image(data)
        if image.dtype != self.input_dtype:
            raise TypeError(f"image has dtype {image.dtype}; this plan maps {self.input_dtype} images")
        if image.dtype.kind == "f" and np.isinf(np.nanmax(np.abs(image), initial=0.0)):
            raise ValueError("image contains infinite values; a plan maps finite values (NaN stays NaN)")
        result = check_out(out, image.shape, self.dtype)
        if result is None:
            result = np.empty_like(image, dtype=self.dtype)
        else:
            image = unshared(image, result)
        for pair in line_pairs(image, None, result, None):
            self.apply_line(pair.source, pair.target)
            pair.finish()
        if out is not None:
            return out
        return result if masked is None else masked.wrap(result, image)

    def apply_line(self, source: np.ndarray, target: np.ndarray, memo: np.ndarray | None = None) -> None:
        """Map a 1-D line of pixels into ``target`` (same length, ``dtype``);
        ``memo`` is what the binning's ``count_for_lut`` returned for this
        very line (bin codes kept between counting and mapping), or None."""
        if self.mapping is None:
            target[...] = source
        elif isinstance(self.mapping, Interp):
            assert not isinstance(self.binning, LevelBins)  # plans over level bins are LUTs
            self.binning.apply(self.mapping, source, target, memo)
        else:
            self.binning.apply(self.mapping, source, target, memo)


def build_plan(
    method: Method, counts: np.ndarray, binning: Binning, input_dtype: np.dtype, weights: np.ndarray | None = None
) -> Plan:
    """The plan of ``method`` for int64 ``counts`` over ``binning``'s bins of
    images of ``input_dtype``, with ``weights`` the target histogram (float64
    per output level) of methods that take one. Touches bins only, never pixels."""
    out_dtype = method.output_dtype(input_dtype)
    mapping = method.plan(counts, binning, out_dtype, weights)
    return Plan(method.name, binning, mapping, out_dtype, input_dtype)
