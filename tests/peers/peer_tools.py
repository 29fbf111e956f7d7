"""The real tools that tests/peers compare with, one session fixture each
(test modules import the fixtures they use; a conftest.py here would shadow
the top-level one that tests import from).

- ImageJ 1.x: ``ImageJEqualize.java`` (beside this file), compiled once per
  test session into a temporary folder against the ``ij.jar`` of Debian's
  ``imagej`` package, calls ``new ContrastEnhancer().equalize(ip)`` (a macro's
  ``run("Enhance Contrast", ...)`` needs a display).
- ImageMagick 6 Q16: ``convert in.png -equalize out.png``.
- libvips: pyvips (the ``pyvips-binary`` wheel) and the ``vips`` command.
- ffmpeg: the ``ffmpeg`` command's ``histeq`` filter on raw frames (PyAV's
  own libraries are built without it).
- ImageMagick 7: ``-clahe`` of the npm package ``@imagemagick/magick-wasm``
  (its Q8 build) run by node (``magick_clahe.mjs``), from the node_modules
  folder that ``HISTEQ_NODE_MODULES`` names.

A fixture skips its test when its tool is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from histeq.io import read_image, write_image

#: Where Debian's imagej (libij-java) installs ImageJ.
IJ_JARS = ("/usr/share/java/ij.jar",)
IMAGEJ_SOURCE = Path(__file__).with_name("ImageJEqualize.java")


@dataclass(frozen=True)
class ImageJ:
    """Runs ImageJ's equalization on many images in one JVM."""

    java: str
    classpath: str
    folder: Path

    def equalize(self, images: Sequence[np.ndarray], *, classic: bool) -> list[np.ndarray]:
        """``ContrastEnhancer.equalize`` of each 2-D uint8/uint16 image or
        ``(H, W, 3)`` uint8 RGB one (a ``ColorProcessor``),
        ``classicEqualization`` set to ``classic``."""
        source, result = self.folder / "in.bin", self.folder / "out.bin"
        with open(source, "wb") as file:
            file.write(struct.pack(">i", len(images)))
            for image in images:
                bits = 24 if image.ndim == 3 else 8 * image.dtype.itemsize
                file.write(struct.pack(">4i", int(classic), bits, image.shape[1], image.shape[0]))
                file.write(image.astype(image.dtype.newbyteorder(">")).tobytes())
        subprocess.run(
            [self.java, "-Djava.awt.headless=true", "-cp", self.classpath, "ImageJEqualize", source, result],
            check=True,
            capture_output=True,
        )
        data = result.read_bytes()
        outputs, at = [], 0
        for image in images:
            dtype = image.dtype.newbyteorder(">")
            outputs.append(np.frombuffer(data, dtype, image.size, at).reshape(image.shape).astype(image.dtype))
            at += image.nbytes
        return outputs


@pytest.fixture(scope="session", name="imagej")
def imagej_fixture(tmp_path_factory: pytest.TempPathFactory) -> ImageJ:
    java, javac = shutil.which("java"), shutil.which("javac")
    jar = next((path for path in IJ_JARS if os.path.exists(path)), None)
    if java is None or javac is None or jar is None:
        pytest.skip("needs ImageJ's ij.jar and a JDK (Debian: imagej, default-jdk-headless)")
    folder = tmp_path_factory.mktemp("imagej")
    subprocess.run([javac, "-cp", jar, "-d", str(folder), str(IMAGEJ_SOURCE)], check=True, capture_output=True)
    return ImageJ(java, f"{jar}{os.pathsep}{folder}", folder)


@dataclass(frozen=True)
class Magick:
    """Runs ImageMagick 6's ``convert`` on PNG files."""

    convert: str
    folder: Path

    def run(self, image: np.ndarray, *options: str) -> np.ndarray:
        """``convert in.png OPTIONS out.png`` of a grey or RGB uint8/uint16
        image, read back in the image's shape and dtype."""
        source, result = self.folder / "in.png", self.folder / "out.png"
        source.unlink(missing_ok=True)
        result.unlink(missing_ok=True)
        write_image(source, image)
        depth = str(8 * image.dtype.itemsize)
        kind = "2" if image.ndim == 3 else "0"  # PNG colour types: RGB, grey (no palette)
        subprocess.run(
            [self.convert, source, *options, "-define", f"png:bit-depth={depth}", "-define", f"png:color-type={kind}"]
            + [f"PNG:{result}"],
            check=True,
            capture_output=True,
        )
        output = read_image(result)
        assert output.shape == image.shape and output.dtype == image.dtype
        return output


@pytest.fixture(scope="session", name="magick")
def magick_fixture(tmp_path_factory: pytest.TempPathFactory) -> Magick:
    convert = shutil.which("convert")
    if convert is None:
        pytest.skip("needs ImageMagick 6 (Debian: imagemagick)")
    version = subprocess.run([convert, "-version"], capture_output=True, text=True).stdout
    if "ImageMagick 6." not in version or "Q16" not in version or "HDRI" in version:
        pytest.skip(f"method 'imagemagick' reproduces ImageMagick 6 Q16 (not HDRI); found {version.splitlines()[:1]}")
    return Magick(convert, tmp_path_factory.mktemp("magick"))


@pytest.fixture(scope="session", name="pyvips")
def pyvips_fixture():
    return pytest.importorskip("pyvips")


@dataclass(frozen=True)
class VipsCommand:
    """Runs the ``vips`` command on PNG files."""

    vips: str
    folder: Path

    def run(self, operation: str, image: np.ndarray, *arguments: str) -> np.ndarray:
        """``vips OPERATION in.png out.png ARGUMENTS``, read back."""
        source, result = self.folder / "in.png", self.folder / "out.png"
        source.unlink(missing_ok=True)
        result.unlink(missing_ok=True)
        write_image(source, image)
        subprocess.run([self.vips, operation, source, result, *arguments], check=True, capture_output=True)
        return read_image(result)


@pytest.fixture(scope="session", name="vips_command")
def vips_command_fixture(tmp_path_factory: pytest.TempPathFactory) -> VipsCommand:
    vips = shutil.which("vips")
    if vips is None:
        pytest.skip("needs the vips command (Debian: libvips-tools)")
    return VipsCommand(vips, tmp_path_factory.mktemp("vips"))


@dataclass(frozen=True)
class FFmpeg:
    """Runs the ``ffmpeg`` command's ``histeq`` filter on raw frames."""

    ffmpeg: str

    def histeq(self, frame: np.ndarray, options: str, pix_fmt: str = "rgb24") -> np.ndarray:
        """``-vf histeq=OPTIONS`` of one ``(H, W, 3)`` uint8 frame of ``pix_fmt``
        (rgb24 or bgr24), through raw video pipes (no conversion)."""
        height, width = frame.shape[:2]
        raw = ["-f", "rawvideo", "-pix_fmt", pix_fmt]
        done = subprocess.run(
            [self.ffmpeg, "-v", "error", *raw, "-s", f"{width}x{height}", "-i", "-", "-vf", f"histeq={options}"]
            + [*raw, "-"],
            input=np.ascontiguousarray(frame).tobytes(),
            capture_output=True,
            check=True,
        )
        return np.frombuffer(done.stdout, np.uint8).reshape(frame.shape)


@pytest.fixture(scope="session", name="ffmpeg")
def ffmpeg_fixture() -> FFmpeg:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("needs the ffmpeg command (Debian: ffmpeg; PyAV's own libraries have no histeq filter)")
    filters = subprocess.run([ffmpeg, "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    if " histeq " not in filters:
        pytest.skip("this ffmpeg has no histeq filter (a build without GPL filters)")
    return FFmpeg(ffmpeg)


#: The npm package of ImageMagick 7 (its Q8 build as WebAssembly), the one
#: ImageMagick 7 the registries offer; Debian 12's imagemagick is 6.9, which has no -clahe.
MAGICK_WASM = "@imagemagick/magick-wasm"
MAGICK_WASM_VERSION = "0.0.43"


@dataclass(frozen=True)
class MagickWasm:
    """Runs ImageMagick 7's ``-clahe`` (magick-wasm, Q8) with node on PNG files."""

    node: str
    package: Path
    folder: Path

    def clahe(self, images: Sequence[np.ndarray], tile: tuple[int, int], bins: int, clip: float) -> list[np.ndarray]:
        """``image.clahe(width, height, bins, clip)`` of each uint8 image (grey
        or RGB), ``tile`` the tile's ``(height, width)``, in one node process."""
        jobs = []
        for index, image in enumerate(images):
            source, result = self.folder / f"in{index}.png", self.folder / f"out{index}.png"
            source.unlink(missing_ok=True)
            result.unlink(missing_ok=True)
            write_image(source, image)
            job = {"input": str(source), "output": str(result), "width": tile[1], "height": tile[0]}
            jobs.append({**job, "bins": bins, "clip": clip})
        listing = self.folder / "jobs.json"
        listing.write_text(json.dumps(jobs))
        script = Path(__file__).with_name("magick_clahe.mjs")
        subprocess.run([self.node, script, self.package, listing], check=True, capture_output=True)
        outputs = [read_image(job["output"]) for job in jobs]
        # ImageMagick writes an RGB image whose samples are all alike as a grey PNG
        return [
            np.repeat(out[..., None], 3, -1) if out.ndim < image.ndim else out for out, image in zip(outputs, images)
        ]


@pytest.fixture(scope="session", name="magick_wasm")
def magick_wasm_fixture(tmp_path_factory: pytest.TempPathFactory) -> MagickWasm:
    node = shutil.which("node")
    modules = os.environ.get("HISTEQ_NODE_MODULES")
    package = None if modules is None else Path(modules, MAGICK_WASM)
    if node is None or package is None or not (package / "dist" / "x86" / "magick.wasm").exists():
        pytest.skip(
            f"needs node and the npm package {MAGICK_WASM}@{MAGICK_WASM_VERSION} in the node_modules folder "
            "that HISTEQ_NODE_MODULES names (npm install --prefix DIR ...; HISTEQ_NODE_MODULES=DIR/node_modules)"
        )
    return MagickWasm(node, package, tmp_path_factory.mktemp("magick_wasm"))
