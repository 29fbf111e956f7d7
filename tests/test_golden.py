"""The project's seed examples, as golden tests."""

import numpy as np
import pytest

import histeq

SEED_3X3 = np.array([[50, 52, 52], [51, 52, 53], [52, 53, 54]], dtype=np.uint8)


def test_seed_3x3_opencv():
    # The common hand-written version gets 31 instead of 32 (truncation) and
    # wraps unused levels to 225 (cdf - cdf_min in uint8).
    expected = np.array([[0, 159, 159], [32, 159, 223], [159, 223, 255]], dtype=np.uint8)
    result = histeq.equalize(SEED_3X3, method="opencv")
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, expected)


def test_seed_3x3_matches_cv2():
    cv2 = pytest.importorskip("cv2")
    np.testing.assert_array_equal(histeq.equalize(SEED_3X3), cv2.equalizeHist(SEED_3X3))


def _textbook_image(dtype):
    # Gonzalez & Woods: 100 pixels at ten levels r1..r10 with these counts.
    counts = [19, 18, 18, 15, 13, 6, 4, 2, 1, 4]
    levels = np.repeat(np.arange(10), counts).astype(dtype)
    return np.random.default_rng(0).permutation(levels).reshape(10, 10)


def test_textbook_example_normalized():
    image = _textbook_image(np.float64)
    result = histeq.equalize(image, method="textbook", nbins=10)
    expected_s = [0.19, 0.37, 0.55, 0.70, 0.83, 0.89, 0.93, 0.95, 0.96, 1.00]
    for level, s in enumerate(expected_s):
        np.testing.assert_allclose(result[image == level], s, rtol=0, atol=1e-12)


def test_textbook_example_uint8_levels():
    image = _textbook_image(np.uint8)
    result = histeq.equalize(image, method="textbook")
    expected_s = np.array([0.19, 0.37, 0.55, 0.70, 0.83, 0.89, 0.93, 0.95, 0.96, 1.00])
    expected = np.rint(255 * expected_s).astype(np.uint8)  # no exact .5 ties here
    for level in range(10):
        assert np.all(result[image == level] == expected[level])


def test_opencv_tie_rounds_half_to_even():
    # N - h[v0] = 510 gives scale 0.5: shifted cdf values 1, 5, 9 map to 0, 2, 4.
    counts = np.zeros(256, np.int64)
    counts[0] = 2  # h[v0]
    counts[1], counts[2], counts[3] = 1, 4, 4  # shifted cdf 1, 5, 9
    counts[4] = 510 - 9
    image = np.repeat(np.arange(256, dtype=np.uint8), counts)[None, :]
    result = histeq.equalize(image)
    assert [result[image == v][0] for v in (1, 2, 3)] == [0, 2, 4]
    cv2 = pytest.importorskip("cv2")  # the ties above are checked without OpenCV too
    np.testing.assert_array_equal(result, cv2.equalizeHist(image))
