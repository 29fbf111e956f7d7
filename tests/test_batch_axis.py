"""batch_axis: every item of a batch equals the operation on that item alone."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import histeq
from histeq._core.methods import EQUALIZE_METHODS

METHODS = tuple(EQUALIZE_METHODS)
#: Methods that reproduce a tool for some dtypes only: the dtype a test uses for them.
TOOL_DTYPES = {name: record.dtypes[-1] for name, record in EQUALIZE_METHODS.items() if record.dtypes}
DTYPES = (np.uint8, np.uint16, np.int8, np.int16, np.int32, np.float32, np.float64, np.float16)


def _axes(batch_axis, ndim):
    axes = (batch_axis,) if isinstance(batch_axis, int) else batch_axis
    return tuple(sorted(a % ndim for a in axes))


def _item_axis(axis, batch_axes, ndim):
    if axis is None:
        return None
    axis %= ndim
    return axis - sum(b < axis for b in batch_axes)


def _items(array, batch_axes):
    """(index, item) pairs of a batch, as a loop over the items sees them."""
    front = np.moveaxis(array, batch_axes, range(len(batch_axes)))
    return [(index, front[index]) for index in np.ndindex(*front.shape[: len(batch_axes)])]


def _front(array, batch_axes):
    return np.moveaxis(array, batch_axes, range(len(batch_axes)))


def assert_same(result, expected):
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(np.asarray(result), np.asarray(expected), strict=True)
    if isinstance(expected, np.ma.MaskedArray):
        np.testing.assert_array_equal(np.ma.getmaskarray(result), np.ma.getmaskarray(expected))


def _image(rng, shape, dtype, low=0, high=200):
    values = rng.integers(low, high, shape)
    if np.dtype(dtype).kind == "f":
        return (values / high).astype(dtype)
    return values.astype(dtype)


@st.composite
def layouts(draw, max_spatial=2, channels=True):
    """(shape, batch_axis, channel_axis): one or two batch axes and an
    optional channel axis at any position, with 1 or 2 spatial axes."""
    spatial = draw(st.integers(1, max_spatial))
    batch = draw(st.integers(1, 2))
    with_channels = channels and draw(st.booleans())
    ndim = spatial + batch + with_channels
    order = draw(st.permutations(range(ndim)))
    batch_axes = tuple(order[:batch])
    channel_axis = order[batch] if with_channels else None
    shape = []
    for axis in range(ndim):
        if axis in batch_axes:
            shape.append(draw(st.integers(1, 4)))
        elif axis == channel_axis:
            shape.append(draw(st.integers(1, 3)))
        else:
            shape.append(draw(st.integers(1, 9)))
    negative = draw(st.booleans())
    batch_axis = tuple(a - ndim for a in batch_axes) if negative else batch_axes
    if len(batch_axis) == 1 and draw(st.booleans()):
        batch_axis = batch_axis[0]
    return tuple(shape), batch_axis, channel_axis


@given(layouts(), st.sampled_from(DTYPES), st.sampled_from(METHODS), st.integers(0, 2**32 - 1))
def test_equalize_batch_is_a_loop_over_items(layout, dtype, method, seed):
    shape, batch_axis, channel_axis = layout
    if method in TOOL_DTYPES and np.dtype(dtype) not in EQUALIZE_METHODS[method].dtypes:
        dtype = TOOL_DTYPES[method]
    image = _image(np.random.default_rng(seed), shape, dtype)
    axes = _axes(batch_axis, image.ndim)
    item_axis = _item_axis(channel_axis, axes, image.ndim)
    try:
        expected = [
            (index, histeq.equalize(item, method=method, channel_axis=item_axis)) for index, item in _items(image, axes)
        ]
    except ValueError as error:  # e.g. ffmpeg's frames need 1 or 3 channels: the batch refuses them alike
        with pytest.raises(ValueError, match=re.escape(str(error)[:40])):
            histeq.equalize(image, method=method, batch_axis=batch_axis, channel_axis=channel_axis)
        return
    result = histeq.equalize(image, method=method, batch_axis=batch_axis, channel_axis=channel_axis)
    assert result.shape == image.shape
    for index, item_result in expected:
        assert_same(_front(result, axes)[index], item_result)


@given(layouts(), st.sampled_from((np.uint8, np.uint16, np.float32, np.int32)), st.booleans(), st.integers(0, 2**32))
def test_masks_per_item_and_shared(layout, dtype, shared, seed):
    shape, batch_axis, channel_axis = layout
    rng = np.random.default_rng(seed)
    image = _image(rng, shape, dtype)
    axes = _axes(batch_axis, image.ndim)
    item_axis = _item_axis(channel_axis, axes, image.ndim)
    drop = axes if shared else ()
    mask_shape = tuple(n for i, n in enumerate(shape) if i not in drop and i != channel_axis)
    mask = rng.random(mask_shape) < 0.6
    try:
        result = histeq.equalize(image, mask=mask, batch_axis=batch_axis, channel_axis=channel_axis)
    except ValueError as error:  # a mask shape that fits two readings is refused, naming both
        assert "both without the axes" in str(error)
        return
    full = np.broadcast_to(
        np.expand_dims(mask, tuple(sorted(drop + (() if channel_axis is None else (channel_axis,))))), shape
    )
    for index, item in _items(image, axes):
        expected = histeq.equalize(item, mask=_front(full, axes)[index], channel_axis=item_axis)
        assert_same(_front(result, axes)[index], expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_histogram_has_the_batch_dimensions_first(dtype):
    rng = np.random.default_rng(3)
    image = _image(rng, (3, 11, 4, 2), dtype)  # (H, B, W, C) with batch axis 1, channel axis -1
    counts, edges = histeq.histogram(image, batch_axis=1, channel_axis=-1)
    nbins = edges.shape[-1] - 1
    assert counts.shape == (11, 2, nbins) and counts.dtype == np.int64
    assert edges.shape == (11, nbins + 1)
    for index, item in _items(image, (1,)):
        alone = histeq.histogram(item, channel_axis=-1)
        np.testing.assert_array_equal(counts[index], alone.counts)
        np.testing.assert_array_equal(edges[index], alone.edges)


def test_histogram_of_items_with_different_bin_counts_is_refused():
    image = np.zeros((2, 5, 5), np.int32)
    image[1, 0, 0] = 3  # item 0: one level, item 1: four
    with pytest.raises(ValueError, match="different numbers of bins"):
        histeq.histogram(image, batch_axis=0)
    counts, _ = histeq.histogram(image, batch_axis=0, value_range=(0, 3))
    np.testing.assert_array_equal(counts, [[25, 0, 0, 0], [24, 0, 0, 1]])


@given(
    layouts(max_spatial=2),
    st.sampled_from((np.uint8, np.uint16, np.float32)),
    st.sampled_from(("opencv", "skimage")),
    st.integers(0, 2**32 - 1),
)
def test_clahe_batch_is_a_loop_over_items(layout, dtype, method, seed):
    shape, batch_axis, channel_axis = layout
    image = _image(np.random.default_rng(seed), shape, dtype)
    options = {"tile_grid": 2} if method == "opencv" else {"kernel_size": 3}
    axes = _axes(batch_axis, image.ndim)
    spatial = image.ndim - len(axes) - (channel_axis is not None)
    if method == "skimage" and spatial < 2:
        return  # scikit-image's CLAHE is 2-D and 3-D
    result = histeq.clahe(image, method=method, batch_axis=batch_axis, channel_axis=channel_axis, **options)
    item_axis = _item_axis(channel_axis, axes, image.ndim)
    for index, item in _items(image, axes):
        expected = histeq.clahe(item, method=method, channel_axis=item_axis, **options)
        assert_same(_front(result, axes)[index], expected)


def test_many_items_run_on_the_threads_with_the_same_results():
    # Enough items that they are spread over the threads (each item's kernels inline).
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (40, 37, 29), dtype=np.uint16)
    for operation in (histeq.clahe, lambda x, **kw: histeq.equalize(x.astype(np.float32), **kw)):
        result = operation(image, batch_axis=0)
        for index, item in _items(image, (0,)):
            assert_same(result[index], operation(item))


@pytest.mark.parametrize("color", ["channels", "joint", "ycrcb", "lab", "hsv"])
def test_colour_modes_per_item(color):
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (3, 4, 9, 7), dtype=np.uint8)  # (B, C=4 RGBA, H, W)
    kwargs = {"color": color, "keep_alpha": color in ("channels", "joint")}
    result = histeq.equalize(image, batch_axis=0, channel_axis=1, **kwargs)
    clahe = histeq.clahe(image, batch_axis=0, channel_axis=1, tile_grid=2, **kwargs) if color != "joint" else None
    for index, item in _items(image, (0,)):
        assert_same(result[index], histeq.equalize(item, channel_axis=0, **kwargs))
        if clahe is not None:
            assert_same(clahe[index], histeq.clahe(item, channel_axis=0, tile_grid=2, **kwargs))


@pytest.mark.parametrize("per_item_reference", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_match_histograms_references_shared_and_per_item(per_item_reference, dtype):
    rng = np.random.default_rng(6)
    image = _image(rng, (4, 10, 3, 8), dtype)  # batch axis 0, channel axis 2
    reference_shape = (4, 6, 3, 5) if per_item_reference else (7, 3, 9)
    reference = _image(rng, reference_shape, dtype, 50, 255)
    reference_mask = rng.random(reference_shape) < 0.7
    mask = rng.random((10, 3, 8)) < 0.8  # shared by the items
    result = histeq.match_histograms(
        image, reference, batch_axis=0, channel_axis=2, mask=mask, reference_mask=reference_mask
    )
    for index, item in _items(image, (0,)):
        ref = reference[index] if per_item_reference else reference
        ref_mask = reference_mask[index] if per_item_reference else reference_mask
        expected = histeq.match_histograms(item, ref, channel_axis=1, mask=mask, reference_mask=ref_mask)
        assert_same(result[index], expected)


def test_match_histograms_batch_of_references_must_fit():
    image = np.zeros((4, 8, 8), np.uint8)
    with pytest.raises(ValueError, match="batch shape must be the image's"):
        histeq.match_histograms(image, np.zeros((3, 8, 8), np.uint8), batch_axis=0)


def test_exact_specification_per_item():
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (5, 2, 12, 9), dtype=np.uint8)  # (B, C, H, W)
    mask = rng.random((5, 12, 9)) < 0.7  # per item, shared by the channels
    result = histeq.exact_specification(image, batch_axis=0, channel_axis=1, mask=mask, target="gaussian")
    for index, item in _items(image, (0,)):
        expected = histeq.exact_specification(item, channel_axis=0, mask=mask[index], target="gaussian")
        assert_same(result[index], expected)


def test_targets_per_item():
    rng = np.random.default_rng(8)
    image = rng.integers(0, 4000, (6, 15, 11), dtype=np.uint16)
    for target in ("gaussian", ("rayleigh", 0.3), np.arange(1, 20.0)):
        result = histeq.equalize(image, batch_axis=0, target=target)
        for index, item in _items(image, (0,)):
            assert_same(result[index], histeq.equalize(item, target=target))


def test_constant_nan_and_fully_masked_items_behave_as_alone():
    image = np.random.default_rng(9).random((4, 6, 7)).astype(np.float32)
    image[1] = 0.25  # constant
    image[2] = np.nan  # all NaN
    mask = np.ones(image.shape, bool)
    mask[3] = False  # fully masked
    for method in ("opencv", "textbook", "matlab", "bbhe"):
        result = histeq.equalize(image, batch_axis=0, mask=mask, method=method)
        for index, item in _items(image, (0,)):
            assert_same(result[index], histeq.equalize(item, mask=mask[index], method=method))
    bytes_ = np.full((3, 5, 5), 7, np.uint8)
    bytes_[1, 0, 0] = 9
    result = histeq.equalize(bytes_, batch_axis=0)
    for index, item in _items(bytes_, (0,)):
        assert_same(result[index], histeq.equalize(item))
    with pytest.raises(ValueError, match="at least one counted pixel"):  # as the item alone
        histeq.equalize(image, batch_axis=0, mask=mask, method="skimage")


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_out_and_in_place(dtype):
    rng = np.random.default_rng(10)
    image = _image(rng, (5, 13, 6, 3), dtype)
    expected = histeq.equalize(image, batch_axis=0, channel_axis=-1)
    out = np.empty_like(image)
    assert histeq.equalize(image, batch_axis=0, channel_axis=-1, out=out) is out
    assert_same(out, expected)
    fortran = np.asfortranarray(np.empty_like(image))  # laid out unlike the image
    histeq.equalize(image, batch_axis=0, channel_axis=-1, out=fortran)
    assert_same(fortran, expected)
    histeq.equalize(image, batch_axis=0, channel_axis=-1, out=image)
    assert_same(image, expected)
    clahe_out = np.empty((5, 13, 6, 3), dtype)
    assert histeq.clahe(out, batch_axis=0, channel_axis=-1, out=clahe_out, tile_grid=2) is clahe_out


def test_input_is_not_modified_and_masked_arrays_are_kept():
    rng = np.random.default_rng(11)
    data = rng.integers(0, 256, (4, 9, 9), dtype=np.uint8)
    hidden = rng.random(data.shape) < 0.3
    image = np.ma.MaskedArray(data.copy(), mask=hidden.copy())
    result = histeq.equalize(image, batch_axis=0)
    np.testing.assert_array_equal(image.data, data)
    np.testing.assert_array_equal(image.mask, hidden)
    for index in range(4):
        assert_same(result[index], histeq.equalize(image[index]))


def test_multi_axis_batches_on_strided_views():
    rng = np.random.default_rng(12)
    base = rng.integers(0, 65536, (6, 20, 5, 16), dtype=np.uint16)
    image = base[::-1, ::2, :, 1::3]  # reversed and strided: no single line per item
    result = histeq.equalize(image, batch_axis=(0, 2))
    for index, item in _items(image, (0, 2)):
        assert_same(_front(result, (0, 2))[index], histeq.equalize(item))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_axis": 3}, ValueError, "batch_axis 3 is out of range"),
        ({"batch_axis": (0, -3)}, ValueError, "names an axis twice"),
        ({"batch_axis": 2, "channel_axis": -1}, ValueError, "includes channel_axis 2"),
        ({"batch_axis": (0, 1), "channel_axis": 2}, ValueError, "leaves no image axes"),
        ({"batch_axis": ()}, ValueError, "at least one axis"),
        ({"batch_axis": 1.0}, TypeError, "batch_axis must be an int or a tuple of ints"),
        ({"batch_axis": True}, TypeError, "batch_axis must be an int or a tuple of ints"),
        ({"batch_axis": 0, "mask": np.ones((3, 5), bool)}, ValueError, "mask must have the image's shape"),
        ({"batch_axis": 0, "mask": np.ones((3, 4, 5))}, TypeError, "mask must be a boolean array"),
        ({"batch_axis": 0, "out": np.empty((3, 4, 4), np.uint8)}, ValueError, "out must have shape"),
        ({"batch_axis": 0, "out": np.empty((3, 4, 5), np.float32)}, TypeError, "out must have dtype uint8"),
    ],
)
def test_bad_batch_arguments_name_the_parameter(kwargs, error, message):
    image = np.zeros((3, 4, 5), np.uint8)
    with pytest.raises(error, match=message):
        histeq.equalize(image, **kwargs)


def test_a_mask_that_fits_two_readings_is_refused():
    image = np.zeros((3, 3, 5, 5), np.uint8)  # batch axis 0, channel axis 1: both of size 3
    with pytest.raises(ValueError, match="broadcast to"):
        histeq.equalize(image, batch_axis=0, channel_axis=1, mask=np.ones((3, 5, 5), bool))
    full = np.broadcast_to(np.ones((3, 1, 5, 5), bool), image.shape)  # said explicitly: per item
    histeq.equalize(image, batch_axis=0, channel_axis=1, mask=full)


def test_every_operation_checks_batch_axis():
    image = np.zeros((3, 4, 5), np.uint8)
    for call in (
        lambda: histeq.clahe(image, batch_axis=5),
        lambda: histeq.histogram(image, batch_axis=5),
        lambda: histeq.match_histograms(image, image, batch_axis=5),
        lambda: histeq.exact_specification(image, batch_axis=5),
    ):
        with pytest.raises(ValueError, match="batch_axis 5 is out of range"):
            call()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
@pytest.mark.parametrize("options", [{}, {"bit_shift": 2}, {"distribution": "rayleigh"}, {"clip_limit": 0}])
def test_clahe_of_a_stack_of_planes_in_one_call(dtype, options):
    # 8/16-bit 2-D items stacked along z, each its own tiles: items whose
    # occupied ranges differ widely still equal the items alone.
    rng = np.random.default_rng(13)
    info = np.iinfo(dtype)
    image = np.empty((3, 2, 37, 41), dtype)  # (B, C, H, W)
    for index, (low, high) in enumerate([(info.min, info.min + 9), (0, 200), (info.max - 300, info.max)]):
        image[index] = rng.integers(low, high, (2, 37, 41), endpoint=True)
    result = histeq.clahe(image, batch_axis=0, channel_axis=1, tile_grid=(3, 5), **options)
    for index, item in _items(image, (0,)):
        assert_same(result[index], histeq.clahe(item, channel_axis=0, tile_grid=(3, 5), **options))
