"""Hypothesis tests of the public API with inputs of every kind: big-endian,
read-only, numpy.ma.MaskedArray, and ``out=`` overlapping the input in any
way. Each operation gives what it gives for a plain native array, and never
modifies its input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import histeq

INTEGERS = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64")
FLOATS = ("float16", "float32", "float64")
EQUALIZE_METHODS = ("opencv", "textbook", "skimage", "matlab", "bbhe", "dsihe", "pillow")


@dataclass
class Case:
    """One call: ``op`` on ``image`` with the keyword arguments ``options``
    (``reference`` for matching)."""

    op: str
    image: np.ndarray
    options: dict = field(default_factory=dict)
    reference: np.ndarray | None = None


def pixels(rng: np.random.Generator, dtype: np.dtype, shape: tuple[int, ...], unit: bool, nan: bool) -> np.ndarray:
    """Values of ``dtype``: a few levels or many, anywhere in an integer
    dtype's range; floats in [0, 1] (``unit``) or of any scale, NaN sometimes."""
    if dtype.kind == "f":
        scale = 1.0 if unit else float(rng.choice([1e-3, 1.0, 300.0]))
        values = rng.random(shape) * scale
        if rng.random() < 0.5:  # a few levels
            values = np.round(values * 4) / 4
        values = values.astype(dtype)
        if nan and rng.random() < 0.3:
            values[rng.random(shape) < 0.2] = np.nan
        return values
    info = np.iinfo(dtype)
    width = int(rng.choice([1, 5, 300, 70000, 2**40]))
    low = int(
        rng.integers(int(info.min), int(info.max), endpoint=True, dtype=np.uint64 if dtype == np.uint64 else np.int64)
    )
    low = min(low, int(info.max) - min(width, int(info.max) - int(info.min)))
    high = min(low + width, int(info.max))
    offsets = rng.integers(0, high - low, shape, endpoint=True, dtype=np.uint64)
    return np.array([low + int(v) for v in offsets.ravel()], dtype=object).astype(dtype).reshape(shape)


@st.composite
def cases(draw, op: str) -> Case:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if op == "clahe-skimage":
        dtypes, max_dims, unit, nan = ("uint8", "uint16", "float32", "float64"), 3, True, False
    elif op in ("exact",):
        dtypes, max_dims, unit, nan = INTEGERS, 3, False, False
    elif op == "match-skimage":
        dtypes, max_dims, unit, nan = ("uint8", "uint16"), 3, False, False
    elif op == "clahe":
        dtypes, max_dims, unit, nan = INTEGERS + FLOATS, 3, False, True
    else:
        dtypes, max_dims, unit, nan = INTEGERS + FLOATS, 3, False, True
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    ndim = draw(st.integers(2 if op == "clahe-skimage" else 1, max_dims))
    # Sizes from the seeded generator: hypothesis alone keeps most of them at 1 or 2.
    shape = tuple(int(side) for side in rng.integers(1, 8, ndim))
    image = pixels(rng, dtype, shape, unit, nan)
    case = Case(op, image)
    if op == "equalize":
        methods = EQUALIZE_METHODS if dtype == np.uint8 else EQUALIZE_METHODS[:-1]
        case.options["method"] = draw(st.sampled_from(methods))
    elif op == "clahe":
        case.options.update(clip_limit=float(rng.choice([0.0, 1.0, 2.0, 40.0])), tile_grid=int(rng.integers(1, 4)))
    elif op == "clahe-skimage":
        case.options.update(method="skimage", kernel_size=int(rng.integers(1, 5)))
    elif op in ("match", "match-skimage"):
        ref_dtype = np.dtype(draw(st.sampled_from(dtypes)))
        ref_ndim = ndim if op == "match-skimage" else draw(st.integers(1, 3))
        ref_shape = tuple(int(side) for side in rng.integers(1, 8, ref_ndim))
        case.reference = pixels(rng, ref_dtype, ref_shape, unit, nan)
        if op == "match-skimage":
            case.options["method"] = "skimage"
    return case


def result_dtype(case: Case) -> np.dtype:
    return np.asarray(run(case)).dtype


def run(case: Case, image=None, reference=None, **extra):
    """The operation's result: an array, or ``(counts, edges)``."""
    image = case.image if image is None else image
    reference = case.reference if reference is None else reference
    options = {**case.options, **extra}
    if case.op == "equalize":
        return histeq.equalize(image, **options)
    if case.op.startswith("clahe"):
        return histeq.clahe(image, **options)
    if case.op.startswith("match"):
        return histeq.match_histograms(image, reference, **options)
    if case.op == "histogram":
        return tuple(histeq.histogram(image, **options))
    if case.op == "exact":
        return histeq.exact_specification(image, **options)
    assert case.op == "plan"
    plan = plan_of(case.image)
    return plan.apply(image, **options)


def plan_of(image: np.ndarray):
    counts, edges = histeq.histogram(image)
    if image.dtype.kind == "f":
        value_range = (edges[0], edges[-1])
    elif image.dtype.itemsize <= 2:
        value_range = None
    else:
        value_range = (int(image.min()), int(image.max()))
    return histeq.plan_equalization(counts, dtype=image.dtype, value_range=value_range)


def outcome(call: Callable[[], object]):
    """``("ok", result)`` or ``("error", exception type)``."""
    try:
        return "ok", call()
    except (TypeError, ValueError) as exc:
        return "error", type(exc)


def assert_same(result, expected) -> None:
    if isinstance(expected, tuple):
        assert isinstance(result, tuple) and len(result) == len(expected)
        for a, b in zip(result, expected):
            assert_same(a, b)
        return
    result, expected = np.ma.getdata(result), np.ma.getdata(expected)
    assert result.dtype == expected.dtype.newbyteorder("=") and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def assert_same_outcome(got, expected) -> None:
    assert got[0] == expected[0], (got, expected)
    if got[0] == "ok":
        assert_same(got[1], expected[1])
    else:
        assert got[1] is expected[1]


def untouched(array: np.ndarray, before: np.ndarray) -> None:
    np.testing.assert_array_equal(np.ma.getdata(array), np.ma.getdata(before))
    assert array.dtype == before.dtype


#: More examples than the profile's 60: the cases are small, and every kind of
#: input meets every operation, dtype and layout.
EXAMPLES = settings(max_examples=200)

OPS = ("equalize", "clahe", "clahe-skimage", "match", "match-skimage", "histogram", "exact", "plan")
MASK_OPS = ("equalize", "match", "histogram", "exact")
OUT_OPS = ("equalize", "clahe", "clahe-skimage", "plan")


# --- big-endian ---------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
@EXAMPLES
def test_big_endian_inputs_give_the_native_result(op, data):
    case = data.draw(cases(op))
    expected = outcome(lambda: run(case))
    swapped = case.image.astype(case.image.dtype.newbyteorder(">"))
    reference = None if case.reference is None else case.reference.astype(case.reference.dtype.newbyteorder(">"))
    before = (swapped.copy(), None if reference is None else reference.copy())
    assert_same_outcome(outcome(lambda: run(case, swapped, reference)), expected)
    untouched(swapped, before[0])
    if reference is not None:
        untouched(reference, before[1])


# --- read-only ----------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
@EXAMPLES
def test_read_only_inputs_are_never_modified(op, data):
    case = data.draw(cases(op))
    expected = outcome(lambda: run(case))
    image = case.image.copy()
    image.setflags(write=False)
    reference = None
    if case.reference is not None:
        reference = case.reference.copy()
        reference.setflags(write=False)
    extra = {}
    if op in MASK_OPS and data.draw(st.booleans()):
        mask = np.random.default_rng(data.draw(st.integers(0, 99))).random(image.shape) < 0.7
        mask.setflags(write=False)
        extra["mask"] = mask
        expected = outcome(lambda: run(case, mask=mask.copy()))
    assert_same_outcome(outcome(lambda: run(case, image, reference, **extra)), expected)
    untouched(image, case.image)
    if reference is not None:
        untouched(reference, case.reference)


# --- numpy.ma.MaskedArray -------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
@EXAMPLES
def test_masked_arrays_count_their_unmasked_pixels(op, data):
    case = data.draw(cases(op))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    hidden = rng.random(case.image.shape) < data.draw(st.sampled_from([0.0, 0.3, 1.0]))
    image = np.ma.MaskedArray(case.image.copy(), mask=hidden)
    before = image.copy()
    explicit = None
    if op in MASK_OPS and data.draw(st.booleans()):
        explicit = rng.random(case.image.shape) < 0.8
    reference, ref_hidden = case.reference, None
    if reference is not None and data.draw(st.booleans()):
        ref_hidden = rng.random(reference.shape) < 0.3
        reference = np.ma.MaskedArray(reference, mask=ref_hidden)
    extra = {} if explicit is None else {"mask": explicit}
    got = outcome(lambda: run(case, image, reference, **extra))
    untouched(image, before)
    np.testing.assert_array_equal(np.ma.getmaskarray(image), hidden)
    if op.startswith("clahe"):  # no mask parameter: refused, clearly
        assert got == ("error", TypeError)
        return
    counted = ~hidden if explicit is None else explicit & ~hidden
    equivalent = {}
    if op == "match-skimage":  # no masks: refused when something is masked
        if hidden.any() or (ref_hidden is not None and ref_hidden.any()):
            assert got == ("error", ValueError)
            return
    elif op == "plan":  # a plan counts nothing: every pixel mapped
        pass
    else:
        equivalent["mask"] = counted
        if ref_hidden is not None:
            equivalent["reference_mask"] = ~ref_hidden
    plain_reference = None if reference is None else np.ma.getdata(reference)
    expected = outcome(lambda: run(case, case.image, plain_reference, **equivalent))
    assert_same_outcome(got, expected)
    if got[0] == "ok" and op != "histogram":  # a MaskedArray with the input's mask
        assert isinstance(got[1], np.ma.MaskedArray)
        np.testing.assert_array_equal(np.ma.getmaskarray(got[1]), hidden)


# --- out= overlapping the input ---------------------------------------------------------

LAYOUTS = ("same", "reversed", "reversed-last", "shifted", "shifted-back", "transposed", "interleaved", "bytes")


def overlapping(image: np.ndarray, out_dtype: np.dtype, layout: str, shift: int):
    """``(source, out)``: views of one buffer, ``source`` holding ``image``,
    ``out`` of ``out_dtype`` and ``image``'s shape, laid over it as ``layout``
    says."""
    shape, size = image.shape, image.size
    if out_dtype != image.dtype or layout == "bytes":
        # one byte buffer, both starting at multiples of 8 bytes
        nbytes = max(image.nbytes, size * out_dtype.itemsize)
        buffer = np.zeros(nbytes + 8 * (shift + 1), np.uint8)
        start, out_start = (8 * shift, 0) if shift % 2 else (0, 8 * shift)
        source = buffer[start : start + image.nbytes].view(image.dtype).reshape(shape)
        out = buffer[out_start : out_start + size * out_dtype.itemsize].view(out_dtype).reshape(shape)
        source[...] = image
    elif layout == "same":
        source = image.copy()
        out = source[...]
    elif layout == "reversed":
        source = image.copy()
        out = source[::-1]
    elif layout == "reversed-last":
        source = image.copy()
        out = source[..., ::-1]
    elif layout in ("shifted", "shifted-back"):
        buffer = np.zeros(size + shift, image.dtype)
        front, back = buffer[shift:].reshape(shape), buffer[:size].reshape(shape)
        source, out = (front, back) if layout == "shifted" else (back, front)
        source[...] = image
    elif layout == "transposed" and image.ndim >= 2:
        side = max(shape[-2:])
        buffer = np.zeros((*shape[:-2], side, side), image.dtype)
        source = buffer[..., : shape[-2], : shape[-1]]
        out = np.swapaxes(buffer, -1, -2)[..., : shape[-2], : shape[-1]]
        source[...] = image
    else:  # interleaved: every other element, out the ones between (bounds overlap, memory not)
        buffer = np.zeros(2 * size + 1, image.dtype)
        source, out = buffer[1::2][:size].reshape(shape), buffer[::2][:size].reshape(shape)
        source[...] = image
    return source, out


@pytest.mark.parametrize("op", OUT_OPS)
@given(data=st.data())
@EXAMPLES
def test_out_overlapping_the_input_gives_the_separate_result(op, data):
    case = data.draw(cases(op))
    expected = outcome(lambda: run(case))
    if expected[0] == "error":
        return
    dtype = expected[1].dtype
    layout = data.draw(st.sampled_from(LAYOUTS))
    shift = int(np.random.default_rng(case.image.size).integers(1, 10))
    source, out = overlapping(case.image, dtype, layout, shift)
    np.testing.assert_array_equal(source, case.image)
    got = outcome(lambda: run(case, source, out=out))
    assert got[0] == "ok", got
    assert got[1] is out
    np.testing.assert_array_equal(out, expected[1])
