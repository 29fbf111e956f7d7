"""The formats histeq writes, one record each: the suffixes that name it, the
arrays it holds, whether it takes a quality, the Pillow feature it needs;
the suffixes of the files folder runs take as images; and what makes a path
a Zarr store (the command line asks that of every path, :mod:`.zarr` reads them).

No codec is imported here: ``import histeq.io`` stays light, and a format
whose codec this Pillow lacks is refused when a file of it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The files that mark a folder as a Zarr store (v3 array or group; v2 array; v2 group).
ZARR_MARKERS = ("zarr.json", ".zarray", ".zgroup")

#: The colour layouts of the arrays 2-D formats hold, by samples on the last axis.
LAYOUTS = {None: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA"}
_ALL_LAYOUTS = ("grey", "grey+alpha", "RGB", "RGBA")

#: The quality of lossy outputs when none is given (Pillow's scale, 1..100):
#: JPEG from any input but a JPEG (a JPEG keeps its own tables, see
#: :func:`histeq.io.write_image`), WebP and AVIF.
DEFAULT_QUALITY = {"JPEG": 95, "WEBP": 90, "AVIF": 90}


@dataclass(frozen=True)
class OutputFormat:
    """A format histeq writes.

    Attributes
    ----------
    name : str
        The format's name (Pillow's, or ``"TIFF"``/``"NPY"``).
    suffixes : tuple of str
        The file suffixes (lower case) that ask for it; the first is its usual one.
    holds : dict of str to tuple of str, or None
        dtype name -> the layouts (:data:`LAYOUTS`) of that dtype it holds,
        as read back unchanged; None: any integer or float array (TIFF, NPY).
    lossy : bool
        Takes a quality (``quality=``, ``--quality``).
    feature : str or None
        The ``PIL.features`` name of the codec it needs, when Pillow may lack it.
    """

    name: str
    suffixes: tuple[str, ...]
    holds: dict[str, tuple[str, ...]] | None
    lossy: bool = False
    feature: str | None = None

    def refusal(self, array: np.ndarray) -> str | None:
        """Why this format cannot hold ``array`` (naming what can), or None if it can."""
        if self.holds is None:
            return None
        layout = layout_of(array.shape)
        if layout is None:
            return f"{self.name} holds (H, W) grey or (H, W, 2|3|4) colour images; got shape {array.shape} (use .tif)"
        dtype = array.dtype.newbyteorder("=").name  # either byte order: written native
        if layout in self.holds.get(dtype, ()):
            return None
        kinds = "; ".join(f"{_BITS[name]} {_listed(layouts)}" for name, layouts in self.holds.items())
        got = _BITS.get(dtype, str(array.dtype))
        return f"{self.name} holds {kinds} images; got {got} {layout} pixels (use {_instead(array)})"


#: Every format histeq writes, in the order the help lists them.
OUTPUT_FORMATS = (
    OutputFormat("PNG", (".png",), {"uint8": _ALL_LAYOUTS, "uint16": _ALL_LAYOUTS}),
    OutputFormat("TIFF", (".tif", ".tiff"), None),
    OutputFormat("JPEG", (".jpg", ".jpeg"), {"uint8": ("grey", "RGB")}, lossy=True),
    OutputFormat("NPY", (".npy",), None),
    OutputFormat("WEBP", (".webp",), {"uint8": ("RGB", "RGBA")}, lossy=True, feature="webp"),
    OutputFormat("AVIF", (".avif",), {"uint8": ("grey", "RGB", "RGBA")}, lossy=True, feature="avif"),
    OutputFormat("JPEG2000", (".jp2",), {"uint8": _ALL_LAYOUTS, "uint16": ("grey",)}, feature="jpg_2000"),
    OutputFormat("BMP", (".bmp",), {"uint8": ("grey", "RGB")}),
    OutputFormat("PPM", (".pnm", ".pgm", ".ppm"), {"uint8": ("grey", "RGB"), "uint16": ("grey",)}),
    OutputFormat("TGA", (".tga",), {"uint8": _ALL_LAYOUTS}),
    OutputFormat("QOI", (".qoi",), {"uint8": ("RGB", "RGBA")}),
    OutputFormat("SGI", (".sgi",), {"uint8": ("grey", "RGB", "RGBA")}),
)

#: Output suffixes (lower case) and the format each writes.
WRITE_FORMATS = {suffix: output.name for output in OUTPUT_FORMATS for suffix in output.suffixes}

#: The formats by name.
FORMATS_BY_NAME = {output.name: output for output in OUTPUT_FORMATS}

#: Formats Pillow registers that folder runs do not take as images: those it
#: cannot read without an external program or a plugin of the user's (EPS
#: needs Ghostscript; the others are stubs or containers of other data).
_NOT_READ = frozenset({"EPS", "MPEG", "BUFR", "GRIB", "HDF5", "WMF", "PDF"})


#: How messages name the dtypes of :attr:`OutputFormat.holds`.
_BITS = {"uint8": "8-bit", "uint16": "16-bit"}


def _listed(words: tuple[str, ...]) -> str:
    """``"a, b and c"``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def is_zarr_path(path: Path) -> bool:
    """A Zarr store: a folder with Zarr metadata, or any path named ``*.zarr``."""
    if path.suffix.lower() == ".zarr":
        return True
    return path.is_dir() and any((path / marker).is_file() for marker in ZARR_MARKERS)


def layout_of(shape: tuple[int, ...]) -> str | None:
    """The colour layout (:data:`LAYOUTS`) of an image of ``shape``; None for other shapes."""
    if len(shape) == 2:
        return "grey"
    return LAYOUTS.get(shape[2]) if len(shape) == 3 and shape[2] in (2, 3, 4) else None


def _instead(array: np.ndarray) -> str:
    """The suffixes that hold ``array`` losslessly."""
    layout = layout_of(array.shape)
    if array.dtype.newbyteorder("=") in (np.uint8, np.uint16) and layout is not None:
        return ".png or .tif"
    return ".tif or .npy"


def read_suffixes(*, common: bool = False) -> frozenset[str]:
    """The suffixes (lower case) of the files folder runs and glob patterns take:
    every suffix of a format Pillow opens (but those of :data:`_NOT_READ`),
    TIFF and ``.npy``. Imports Pillow.

    Parameters
    ----------
    common : bool, default False
        Only what Pillow knows without importing all its plugins (0.05 s):
        the formats it registers first (BMP, GIF, JPEG, PPM, PNG) and those of
        plugins already imported, TIFF and ``.npy``; a subset.

    Returns
    -------
    frozenset of str
        Such as ``".png"``, ``".jpg"``, ``".webp"``, ``".bmp"``, ``".tif"``, ``".npy"``.
    """
    from PIL import Image

    if common:
        Image.preinit()
    else:
        Image.init()
    pillow = {suffix for suffix, name in Image.EXTENSION.items() if name in Image.OPEN and name not in _NOT_READ}
    return frozenset(pillow | {".tif", ".tiff", ".npy"})
