"""Target histograms of histogram specification: weights per output level,
and the levels themselves.

A target of ``L`` levels puts level ``j`` at the fraction ``j / (L - 1)`` of
the output range (``0`` when ``L == 1``). Named distributions are sampled at
those fractions ``x``:

- ``"uniform"``: 1
- ``("gaussian", mean, std)``: ``exp(-(x - mean)**2 / (2 * std**2))``
- ``("rayleigh", alpha)``: ``x / alpha**2 * exp(-x**2 / (2 * alpha**2))``
- ``("exponential", alpha)``: ``alpha * exp(-alpha * x)``
"""

from __future__ import annotations

import numpy as np

from .levels import is_integer, levels_from_offsets, span

#: The rayleigh and exponential parameter's default (MATLAB adapthisteq's Alpha).
DEFAULT_ALPHA = 0.4

#: Named target distributions and their default parameters (fractions of the output range).
TARGET_DEFAULTS: dict[str, tuple[float, ...]] = {
    "uniform": (),
    "gaussian": (0.5, 0.2),  # mean, std
    "rayleigh": (DEFAULT_ALPHA,),
    "exponential": (DEFAULT_ALPHA,),
}
#: The distributions CLAHE's ``distribution`` offers (each with one ``alpha``).
CLAHE_DISTRIBUTIONS = ("uniform", "rayleigh", "exponential")

#: A checked target: float64 weights, or a distribution name with its parameters.
Target = np.ndarray | tuple[str, tuple[float, ...]]


def check_target(target: object) -> Target | None:
    """``None``; a name of :data:`TARGET_DEFAULTS` or a tuple ``(name, *params)``
    (every parameter a finite number > 0, a gaussian mean in [0, 1]); or a 1-D
    array of finite non-negative weights with a positive sum (returned as float64)."""
    if target is None:
        return None
    if isinstance(target, str) or (isinstance(target, tuple) and target and isinstance(target[0], str)):
        return _check_named_target(target)
    array = np.asarray(target)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"target must be a distribution name or an array of weights; got {target!r}")
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"target weights must be a non-empty 1-D array; got shape {array.shape}")
    weights = array.astype(np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError("target weights must be finite (no NaN or inf)")
    if weights.min() < 0:
        raise ValueError(f"target weights must be non-negative; got {weights.min()}")
    if weights.sum() <= 0:
        raise ValueError("target weights are all zero; at least one level needs a positive weight")
    return weights


def _check_named_target(target: str | tuple) -> tuple[str, tuple[float, ...]]:
    name, *params = (target,) if isinstance(target, str) else target
    if name not in TARGET_DEFAULTS:
        raise ValueError(f"target must be one of {', '.join(map(repr, TARGET_DEFAULTS))} or weights; got {name!r}")
    defaults = TARGET_DEFAULTS[name]
    if params and len(params) != len(defaults):
        raise ValueError(f"target {name!r} takes {len(defaults)} parameter(s); got {len(params)}: {target!r}")
    if any(isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.number)) for p in params):
        raise TypeError(f"target parameters must be numbers; got {target!r}")
    values = tuple(float(p) for p in params) or defaults
    if not all(np.isfinite(values)) or (values and values[-1] <= 0):  # std or alpha: the last
        raise ValueError(f"target {name!r} parameters must be finite, the last one > 0; got {target!r}")
    if name == "gaussian" and not 0.0 <= values[0] <= 1.0:
        raise ValueError(f"target 'gaussian' mean must be in [0, 1] (a fraction of the range); got {values[0]}")
    return name, values


#: Levels of a named (or the default flat) target: the dtype's levels, at most this many.
MAX_TARGET_LEVELS = 1 << 16


def default_levels(dtype: np.dtype) -> int:
    """Levels of a named target for output ``dtype``: every level of 8/16-bit
    integers, :data:`MAX_TARGET_LEVELS` spread over the range otherwise."""
    return min(span(dtype) + 1, MAX_TARGET_LEVELS) if is_integer(dtype) else MAX_TARGET_LEVELS


def target_weights(target: Target, levels: int) -> np.ndarray:
    """float64 weights per level: ``target`` itself if it is an array, else
    the named distribution sampled at ``levels`` evenly spread fractions."""
    if isinstance(target, np.ndarray):
        return target
    name, params = target
    x = level_fractions(levels)
    if name == "uniform":
        return np.ones(levels)
    if name == "gaussian":
        mean, std = params
        weights = np.exp(-((x - mean) ** 2) / (2 * std * std))
    elif name == "rayleigh":
        (alpha,) = params
        weights = x / (alpha * alpha) * np.exp(-x * x / (2 * alpha * alpha))
    else:  # exponential
        (alpha,) = params
        weights = alpha * np.exp(-alpha * x)
    if not weights.sum() > 0:  # narrower than one level: all on the level nearest its mode
        weights = np.zeros(levels)
        weights[np.argmin(np.abs(x - params[0]))] = 1.0
    return weights


def level_fractions(levels: int) -> np.ndarray:
    """float64 ``j / (levels - 1)`` for ``j = 0 .. levels - 1`` (``[0.0]`` for one level)."""
    return np.arange(levels, dtype=np.float64) / max(levels - 1, 1)


def output_levels(positions: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Output values of ``dtype`` at float64 ``positions`` in output units
    (:func:`unit`): integers ``min + round(position)`` (half to even), floats
    the positions clipped to [0, 1]."""
    if is_integer(dtype):
        return levels_from_offsets(np.rint(positions), dtype)
    return np.clip(positions, 0.0, 1.0).astype(dtype)


def unit(dtype: np.dtype) -> float:
    """The length of the output range in output units: ``max - min`` for
    integers, 1.0 for floats (whose output lies in [0, 1])."""
    return float(span(dtype)) if is_integer(dtype) else 1.0


def level_counts(weights: np.ndarray, total: int) -> np.ndarray:
    """int64 pixel counts per level, summing to ``total`` exactly and as close to
    ``total * weights / weights.sum()`` as whole pixels allow: level ``j`` gets
    ``floor(total * W[j] / W[-1]) - floor(total * W[j - 1] / W[-1])`` with ``W``
    the cumulative weights (exact integer arithmetic for whole-number weights,
    float64 otherwise). A flat target thus gets ``total // L`` or one more per
    level, the extra pixels spread evenly."""
    cumulative = np.cumsum(weights)
    whole = np.all(weights == np.floor(weights)) and cumulative[-1] * total < 2**62
    if whole:
        ends = cumulative.astype(np.int64) * total // int(cumulative[-1])
    else:
        ends = np.floor(cumulative * (total / cumulative[-1])).astype(np.int64)
    ends[-1] = total
    np.maximum.accumulate(ends, out=ends)
    return np.diff(ends, prepend=0)
