"""What the Dask tests share: chunkings drawn by hypothesis, images of every
dtype, and the comparison of a Dask call with the numpy call."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

DTYPES = ("uint8", "uint16", "int8", "int16", "int32", "uint64", "float16", "float32", "float64")


@st.composite
def chunkings(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Uneven chunks along every axis (one chunk, single pixels, anything between)."""
    chunks = []
    for size in shape:
        sizes: list[int] = []
        left = size
        while left:
            step = draw(st.integers(1, left))
            sizes.append(step)
            left -= step
        chunks.append(tuple(sizes))
    return tuple(chunks)


def image_of(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random image: integers over a part of their range, floats with a NaN."""
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        image = (rng.normal(size=shape) * 3).astype(kind)
        image.flat[seed % image.size] = np.nan
        return image
    info = np.iinfo(kind)
    low, high = max(int(info.min), -3000), min(int(info.max), 5000)
    if kind == np.uint64:
        low, high = 2**63, 2**63 + 100_000  # wider than 65536 levels: equal bins
    return rng.integers(low, high, size=shape, endpoint=True, dtype=kind)


def outcome(call: Callable[[], object]) -> object:
    """The result of ``call`` (computed if lazy), or the type and message of what it raised."""
    try:
        value = call()
    except (TypeError, ValueError) as error:
        return type(error), str(error)
    compute = getattr(value, "compute", None)
    if compute is not None:
        try:
            return compute()
        except (TypeError, ValueError) as error:
            return type(error), str(error)
    return value


def assert_same(expected: object, got: object) -> None:
    """Bit-identical arrays (dtype, NaN where NaN), tuples of them, or the same error."""
    if isinstance(expected, tuple) and expected and isinstance(expected[0], type):
        assert got == expected
        return
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for one, other in zip(expected, got):
            assert_same(one, other)
        return
    assert isinstance(got, np.ndarray) and type(got) is np.ndarray, type(got)
    assert isinstance(expected, np.ndarray)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    same_bits = np.array_equal(np.ascontiguousarray(got).view(np.uint8), np.ascontiguousarray(expected).view(np.uint8))
    assert same_bits or np.array_equal(got, expected, equal_nan=True)
