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
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clahe import clahe
    from .equalize import equalize
    from .histogram import Histogram, histogram
    from .local import local_equalize
    from .matching import match_histograms
    from .plan import Plan, plan_equalization
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

#: Every name's module is imported on first use: ``import histeq`` imports
#: neither numpy nor numba (so the command line can tune numpy before its
#: import, see :func:`histeq.cli.run`), and a one-file ``histeq equalize``
#: loads no CLAHE. ``equalize``, ``clahe`` and ``histogram`` share their
#: modules' names: :class:`_Package` keeps the functions there once the
#: modules are imported.
_LAZY = {
    "Histogram": "histogram",
    "Plan": "plan",
    "VideoEqualizer": "video",
    "clahe": "clahe",
    "equalize": "equalize",
    "equalize_video": "video",
    "exact_specification": "specification",
    "histogram": "histogram",
    "local_equalize": "local",
    "match_histograms": "matching",
    "plan_equalization": "plan",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'histeq' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The type of the ``histeq`` module: a submodule named as its function
    (``histeq.equalize``, ``histeq.clahe``, ``histeq.histogram``) leaves the
    function in its place.

    Python's import sets a submodule, once imported, as an attribute of its
    package; those are imported on first use (by the package's
    ``__getattr__``, or by any ``from .clahe import ...``), so that would
    otherwise hide the functions behind their modules' names.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if _LAZY.get(name) == name and isinstance(value, types.ModuleType):  # the import of histeq.clahe, ...
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
