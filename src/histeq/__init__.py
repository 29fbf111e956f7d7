"""histeq: histogram equalization that gives the numbers you expect.

Global equalization with explicit, documented methods, each bit-exact with the
library it names (OpenCV, textbook, scikit-image, Pillow), for every integer and
float dtype, any number of dimensions, channels and masks; CLAHE (OpenCV- and
scikit-image-exact, 3-D), histogram matching and specification.

>>> import numpy as np, histeq
>>> image = np.array([[50, 52, 52], [51, 52, 53], [52, 53, 54]], dtype=np.uint8)
>>> histeq.equalize(image)
array([[  0, 159, 159],
       [ 32, 159, 223],
       [159, 223, 255]], dtype=uint8)
"""

import importlib
from typing import TYPE_CHECKING, Any

from .clahe import clahe
from .equalize import equalize
from .histogram import Histogram, histogram
from .plan import Plan, plan_equalization

if TYPE_CHECKING:
    from .local import local_equalize
    from .matching import match_histograms
    from .specification import exact_specification
    from .video import VideoEqualizer, equalize_video

#: The package's version (pyproject.toml reads it from here).
__version__ = "0.1.0"

__all__ = [
    "Histogram",
    "Plan",
    "VideoEqualizer",
    "__version__",
    "clahe",
    "equalize",
    "equalize_video",
    "exact_specification",
    "histogram",
    "local_equalize",
    "match_histograms",
    "plan_equalization",
]

#: Names whose modules are imported on first use (``import histeq`` and the
#: command line's start-up do not pay for them); their modules' names differ
#: from the functions', so an import of the module never hides the function.
_LAZY = {
    "VideoEqualizer": "video",
    "equalize_video": "video",
    "exact_specification": "specification",
    "local_equalize": "local",
    "match_histograms": "matching",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'histeq' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
