"""histeq._core.colour: which samples are colour, alpha split off and put back unchanged (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from histeq._core.colour import (
    COLOUR_LAYOUTS,
    colour_samples,
    join_alpha,
    spatial_shape,
    split_alpha,
    without_alpha,
)


@pytest.mark.parametrize(
    ("shape", "samples"),
    [
        ((5, 7), None),  # grey
        ((5, 7, 2), 1),  # grey + alpha
        ((5, 7, 3), 3),  # RGB
        ((5, 7, 4), 3),  # RGBA
        ((5, 7, 1), None),  # one sample: a grey volume of depth 1, not a colour layout
        ((5, 7, 5), None),  # a grey volume
        ((4, 5, 7, 3), None),  # a 4-D array is never a colour layout
        ((3,), None),
    ],
)
def test_colour_samples_by_shape(shape, samples):
    assert colour_samples(shape) == samples
    assert spatial_shape(shape) == (shape[:2] if samples else shape)


def test_layouts_table():
    assert COLOUR_LAYOUTS == {2: 1, 3: 3, 4: 3}


@pytest.mark.parametrize("shape", [(6, 4), (6, 4, 3), (6, 4, 5)])
def test_no_alpha_splits_into_the_image_itself(shape):
    image = np.arange(np.prod(shape), dtype=np.uint16).reshape(shape)
    colour, alpha = split_alpha(image)
    assert colour is image and alpha is None
    assert join_alpha(colour, None) is colour
    assert without_alpha(image) is image


@pytest.mark.parametrize(("samples", "colour_count"), [(2, 1), (4, 3)])
def test_alpha_split_as_views_and_put_back_unchanged(samples, colour_count):
    rng = np.random.default_rng(samples)
    image = rng.integers(0, 256, (6, 4, samples), dtype=np.uint8)
    colour, alpha = split_alpha(image)
    assert colour.shape == (6, 4, colour_count) and alpha is not None and alpha.shape == (6, 4, samples - colour_count)
    assert np.shares_memory(colour, image) and np.shares_memory(alpha, image)
    processed = 255 - colour
    joined = join_alpha(processed, alpha)
    assert joined.dtype == image.dtype and joined.shape == image.shape and joined.flags.c_contiguous
    np.testing.assert_array_equal(joined[..., :colour_count], processed)
    np.testing.assert_array_equal(joined[..., colour_count:], image[..., colour_count:])
    assert not np.shares_memory(joined, image)  # the image is left as it was
    np.testing.assert_array_equal(join_alpha(colour, alpha), image)


def test_without_alpha_is_what_a_figure_shows():
    grey_alpha = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    np.testing.assert_array_equal(without_alpha(grey_alpha), grey_alpha[..., 0])
    assert without_alpha(grey_alpha).shape == (2, 3)
    rgba = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(without_alpha(rgba), rgba[..., :3])
    grey = np.zeros((2, 3))
    assert without_alpha(grey) is grey


def test_join_refuses_other_dtypes_or_grids():
    image = np.zeros((4, 4, 4), np.uint8)
    colour, alpha = split_alpha(image)
    with pytest.raises(ValueError, match="dtype and pixel grid"):
        join_alpha(colour.astype(np.float32), alpha)
    with pytest.raises(ValueError, match="dtype and pixel grid"):
        join_alpha(colour[:2], alpha)
