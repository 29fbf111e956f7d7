"""Shared test fixtures: deterministic hypothesis and the images scikit-image ships."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# In the test process the compiled kernels serve every call (the numpy
# backend's own tests force it where they test it), unless HISTEQ_BACKEND says
# otherwise; the command lines the tests start choose as a user's process does.
if "HISTEQ_BACKEND" not in os.environ:
    os.environ["HISTEQ_BACKEND"] = "numba"
    import histeq.backends.small  # reads the setting once  # noqa: F401

    del os.environ["HISTEQ_BACKEND"]

# Tests interrupt themselves and the processes they start with SIGINT, as
# Ctrl-C does. A test run started in the background by a shell without job
# control inherits SIGINT ignored and would hand that on to every process it
# starts (the interrupt tests then fail or skip): this process takes Python's
# own handler, and the processes it starts begin with the default action.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

settings.register_profile(
    "histeq",
    derandomize=True,  # the same examples on every run: tests are deterministic
    deadline=None,  # the first call of a dtype compiles a kernel
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("histeq")

#: Images that ship with scikit-image's core package (no download needed).
SKIMAGE_IMAGES = (
    "camera",
    "moon",
    "coins",
    "page",
    "text",
    "brick",
    "grass",
    "gravel",
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "retina",
)


#: Not a real colour profile: histeq carries the bytes without reading them.
ICC_PROFILE = b"\x00\x00\x02\x0cfake ICC profile bytes" * 20


def camera_exif(orientation: int | None = None) -> bytes:
    """An EXIF block with a camera make, and an orientation if given."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "histeq camera"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    return exif.tobytes()


def skimage_image(name: str) -> np.ndarray:
    """A sample image of scikit-image's; the calling test skips without scikit-image."""
    data = pytest.importorskip("skimage.data")
    return getattr(data, name)()


@pytest.fixture(params=SKIMAGE_IMAGES)
def real_image(request) -> np.ndarray:
    """Each scikit-image sample image (uint8, grey or RGB)."""
    return skimage_image(request.param)
