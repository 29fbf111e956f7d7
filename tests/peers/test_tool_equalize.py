"""equalize's image-tool methods against the tools themselves: ImageJ
("imagej", "imagej-classic"), ImageMagick 6 Q16 ("imagemagick") and libvips
("vips"), bit for bit, on uint8 and uint16 images (scikit-image's samples and
hypothesis-generated ones: odd sizes, constant images, narrow ranges).
The tools come from peer_tools' fixtures, which skip without them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from peer_tools import imagej_fixture, magick_fixture, pyvips_fixture, vips_command_fixture  # noqa: F401 (fixtures)

import histeq
from conftest import SKIMAGE_IMAGES, skimage_image

SEED = np.array([[50, 52, 52], [51, 52, 53], [52, 53, 54]], dtype=np.uint8)

#: The seed image equalized by each tool, and the command that gave it.
SEED_RESULTS = {
    # ImageJ 1.53t (Debian imagej): java -cp /usr/share/java/ij.jar:. ImageJEqualize in.bin out.bin,
    # i.e. new ContrastEnhancer().equalize(new ByteProcessor(3, 3, seed)) (tests/peers/ImageJEqualize.java)
    "imagej": [[20, 119, 119], [60, 119, 187], [119, 187, 235]],
    # the same with the ContrastEnhancer's classicEqualization field set to true
    "imagej-classic": [[14, 113, 113], [43, 113, 198], [113, 198, 241]],
    # ImageMagick 6.9.11-60 Q16 (Debian imagemagick): convert seed.png -equalize out.png
    "imagemagick": [[28, 170, 170], [56, 170, 226], [170, 226, 255]],
    # libvips 8.18.7 (pyvips-binary): pyvips.Image.new_from_array(seed).hist_equal().numpy(),
    # and libvips 8.14.1 (Debian libvips-tools): vips hist_equal seed.png out.png
    "vips": [[28, 170, 170], [56, 170, 226], [170, 226, 255]],
}
TOOL_METHODS = tuple(SEED_RESULTS)


def vips_equalize(pyvips, image: np.ndarray) -> np.ndarray:
    return pyvips.Image.new_from_array(image).hist_equal().numpy()


def sample_16bit(name: str) -> np.ndarray:
    """A 16-bit image from a sample: its levels times 256 plus seeded noise in the low byte."""
    image = skimage_image(name)
    image = image if image.ndim == 2 else image[..., 1]
    noise = np.random.default_rng(len(name)).integers(0, 256, image.shape)
    return (image.astype(np.uint16) << 8) + noise.astype(np.uint16)


def grey_samples() -> list[np.ndarray]:
    images = [skimage_image(name) for name in SKIMAGE_IMAGES]
    return [image if image.ndim == 2 else image[..., channel] for image in images for channel in range(image.ndim - 1)]


# --- the methods table's worked example ---------------------------------------


@pytest.mark.parametrize("method", TOOL_METHODS)
def test_seed_worked_example(method):
    np.testing.assert_array_equal(histeq.equalize(SEED, method=method), SEED_RESULTS[method])


def test_seed_imagej(imagej):
    assert [out.tolist() for out in imagej.equalize([SEED, SEED], classic=False)] == [SEED_RESULTS["imagej"]] * 2
    assert imagej.equalize([SEED], classic=True)[0].tolist() == SEED_RESULTS["imagej-classic"]


def test_seed_imagemagick(magick):
    assert magick.run(SEED, "-equalize").tolist() == SEED_RESULTS["imagemagick"]


def test_seed_vips(pyvips, vips_command):
    assert vips_equalize(pyvips, SEED).tolist() == SEED_RESULTS["vips"]
    assert vips_command.run("hist_equal", SEED).tolist() == SEED_RESULTS["vips"]


# --- scikit-image's sample images ------------------------------------------------


def test_imagej_samples(imagej):
    images = grey_samples() + [sample_16bit(name) for name in ("camera", "moon", "coins")]
    for classic, method in ((False, "imagej"), (True, "imagej-classic")):
        for image, expected in zip(images, imagej.equalize(images, classic=classic)):
            np.testing.assert_array_equal(histeq.equalize(image, method=method), expected)


def test_imagej_colour_samples(imagej):
    # ImageJ's RGB (ColorProcessor): one histogram of (r + g + b) / 3, one LUT for all three.
    images = [skimage_image(name)[..., :3] for name in ("astronaut", "chelsea", "coffee", "rocket")]
    for classic, method in ((False, "imagej"), (True, "imagej-classic")):
        for image, expected in zip(images, imagej.equalize(images, classic=classic)):
            np.testing.assert_array_equal(histeq.equalize(image, method=method, channel_axis=-1), expected)


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
def test_imagemagick_samples(magick, name):
    # Colour images: ImageMagick's default (one intensity histogram, one map
    # for red, green and blue) and -channel RGB (color="channels": each alone).
    image = skimage_image(name)[..., :3]
    if image.ndim == 2:
        np.testing.assert_array_equal(histeq.equalize(image, method="imagemagick"), magick.run(image, "-equalize"))
        return
    result = histeq.equalize(image, method="imagemagick", channel_axis=-1)
    np.testing.assert_array_equal(result, magick.run(image, "-equalize"))
    result = histeq.equalize(image, method="imagemagick", channel_axis=-1, color="channels")
    np.testing.assert_array_equal(result, magick.run(image, "-channel", "RGB", "-equalize"))


@pytest.mark.parametrize("name", ["camera", "moon"])
def test_imagemagick_samples_16bit(magick, name):
    image = sample_16bit(name)
    np.testing.assert_array_equal(histeq.equalize(image, method="imagemagick"), magick.run(image, "-equalize"))


@pytest.mark.parametrize("name", SKIMAGE_IMAGES)
def test_vips_samples(pyvips, name):
    image = skimage_image(name)  # colour: libvips equalizes every band on its own
    axis = None if image.ndim == 2 else -1
    np.testing.assert_array_equal(
        histeq.equalize(image, method="vips", channel_axis=axis), vips_equalize(pyvips, image)
    )
    grey = sample_16bit(name)
    np.testing.assert_array_equal(histeq.equalize(grey, method="vips"), vips_equalize(pyvips, grey))


def test_vips_command_samples(vips_command):
    for image in (skimage_image("camera"), sample_16bit("moon")):
        np.testing.assert_array_equal(histeq.equalize(image, method="vips"), vips_command.run("hist_equal", image))


# --- random images ------------------------------------------------------------------

odd_shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=37)


@st.composite
def tool_images(draw, dtype=None):
    """uint8/uint16 images: full range, narrow ranges anywhere (16-bit ones
    also below 256, where libvips' histogram is short), constant images."""
    dtype = draw(st.sampled_from([np.uint8, np.uint16])) if dtype is None else dtype
    top = int(np.iinfo(dtype).max)
    low = draw(st.one_of(st.integers(0, top), st.sampled_from([0, 1, 200, top])))
    width = draw(st.sampled_from([0, 1, 2, 5, 40, 300, top]))
    high = min(top, low + width)
    return draw(hnp.arrays(dtype, draw(odd_shapes), elements=st.integers(low, high)))


@settings(max_examples=6)
@given(st.lists(tool_images(), min_size=12, max_size=12))
def test_imagej_random(imagej, images):
    for classic, method in ((False, "imagej"), (True, "imagej-classic")):
        for image, expected in zip(images, imagej.equalize(images, classic=classic)):
            np.testing.assert_array_equal(histeq.equalize(image, method=method), expected)


@settings(max_examples=4)
@given(st.lists(hnp.arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20), st.just(3))), min_size=8))
def test_imagej_random_colour(imagej, images):
    for classic, method in ((False, "imagej"), (True, "imagej-classic")):
        for image, expected in zip(images, imagej.equalize(images, classic=classic)):
            np.testing.assert_array_equal(histeq.equalize(image, method=method, channel_axis=-1), expected)


@settings(max_examples=25)
@given(tool_images())
def test_imagemagick_random(magick, image):
    np.testing.assert_array_equal(histeq.equalize(image, method="imagemagick"), magick.run(image, "-equalize"))


@settings(max_examples=15)
@given(
    st.sampled_from([np.uint8, np.uint16]).flatmap(
        lambda dtype: hnp.arrays(dtype, st.tuples(st.integers(1, 20), st.integers(1, 20), st.just(3)))
    )
)
def test_imagemagick_random_rgb(magick, image):
    np.testing.assert_array_equal(
        histeq.equalize(image, method="imagemagick", channel_axis=-1), magick.run(image, "-equalize")
    )
    expected = magick.run(image, "-channel", "RGB", "-equalize")
    result = histeq.equalize(image, method="imagemagick", channel_axis=-1, color="channels")
    np.testing.assert_array_equal(result, expected)


@given(tool_images())
def test_vips_random(pyvips, image):
    np.testing.assert_array_equal(histeq.equalize(image, method="vips"), vips_equalize(pyvips, image))


@given(hnp.arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20), st.integers(2, 4))))
def test_vips_random_bands(pyvips, image):
    expected = vips_equalize(pyvips, image)
    np.testing.assert_array_equal(histeq.equalize(image, method="vips", channel_axis=-1), expected)


def test_vips_float32_normalization_above_2_24_pixels(pyvips):
    # Past 2**24 pixels libvips' float32 cannot hold every cumulative count.
    image = np.random.default_rng(7).integers(0, 256, (4099, 4097), dtype=np.uint8)
    np.testing.assert_array_equal(histeq.equalize(image, method="vips"), vips_equalize(pyvips, image))
