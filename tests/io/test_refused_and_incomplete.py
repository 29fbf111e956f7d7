"""Files histeq refuses for what they declare (arrays that are no image, TIFF
pages that differ, PNG decompression bombs), and writes that are not complete."""

from __future__ import annotations

import errno
import io
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import tifffile

from histeq.io import (
    TEMPORARY_PREFIX,
    ImageReadError,
    WriteError,
    check_writable,
    encode_image,
    read_image,
    remove_stale_temporaries,
    safe_write,
    write_image,
    write_safely,
)
from histeq.io import pillow as pillow_io

RNG = np.random.default_rng(31)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# --- arrays that are no image ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array(7, np.uint8), r"a 0-d array \(a scalar\) is not an image"),
        (np.arange(50, dtype=np.uint16), r"a 1-d array \(shape \(50,\)\) is not an image; save it with shape \(1, 50"),
        (np.zeros((0, 5), np.float32), r"an empty array \(shape \(0, 5\)\) is not an image"),
    ],
    ids=["0-d", "1-d", "empty"],
)
def test_npy_arrays_that_are_no_image_are_refused_by_name(tmp_path, array, message):
    np.save(tmp_path / "a.npy", array)
    with pytest.raises(ImageReadError, match=r"cannot read NumPy image '.*a\.npy': " + message):
        read_image(tmp_path / "a.npy")
    done = run("equalize", tmp_path / "a.npy", "-o", tmp_path / "b.npy")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "is not an image" in done.stderr
    assert not (tmp_path / "b.npy").exists()


def test_a_one_row_image_is_read_and_processed(tmp_path):
    row = RNG.integers(20, 100, (1, 50), dtype=np.uint16)
    np.save(tmp_path / "row.npy", row)
    done = run("equalize", tmp_path / "row.npy", "-o", tmp_path / "out.npy")
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "out.npy").shape == (1, 50)


# --- TIFF pages --------------------------------------------------------------------------------


def two_pages(path: Path, first: np.ndarray, second: np.ndarray) -> None:
    with tifffile.TiffWriter(path) as tiff:
        tiff.write(first)
        tiff.write(second)


@pytest.mark.parametrize(
    ("second", "described"),
    [
        (np.ones((20, 8), np.uint8), "page 0: 10x12 uint8; page 1: 20x8 uint8"),
        (np.ones((10, 12), np.uint16), "page 0: 10x12 uint8; page 1: 10x12 uint16"),
        (np.ones((10, 12, 3), np.uint8), "page 0: 10x12 uint8; page 1: 10x12x3 uint8"),
    ],
    ids=["shapes", "dtypes", "grey and RGB"],
)
def test_tiff_pages_that_differ_are_refused_naming_them(tmp_path, second, described):
    two_pages(tmp_path / "two.tif", np.zeros((10, 12), np.uint8), second)
    with pytest.raises(ImageReadError, match=r"'.*two\.tif': its pages differ in shape or dtype \((.*)\)") as error:
        read_image(tmp_path / "two.tif")
    assert described in str(error.value)
    done = run("equalize", tmp_path / "two.tif", "-o", tmp_path / "out.tif")
    assert done.returncode == 1 and "Traceback" not in done.stderr and described in done.stderr
    assert not (tmp_path / "out.tif").exists()


def test_tiff_pages_that_differ_are_refused_from_a_file_of_many_pages(tmp_path):
    with tifffile.TiffWriter(tmp_path / "many.tif") as tiff:
        for _ in range(6):
            tiff.write(np.zeros((4, 5), np.uint8), contiguous=True)  # pages 0-5: one series
        for shape in ((6, 7), (8, 9), (10, 11), (12, 13), (14, 15)):
            tiff.write(np.zeros(shape, np.uint8))
    with pytest.raises(ImageReadError, match=r"pages 0-5: 4x5 uint8; page 6: 6x7 uint8; .*; and 2 more series"):
        read_image(tmp_path / "many.tif")


def test_tiff_series_of_equal_pages_are_read_as_one_stack(tmp_path):
    first, second = (RNG.integers(0, 65536, (10, 12), dtype=np.uint16) for _ in range(2))
    two_pages(tmp_path / "two.tif", first, second)  # two series to tifffile, equal in shape and dtype
    with tifffile.TiffFile(tmp_path / "two.tif") as tiff:
        assert len(tiff.series) == 2
    np.testing.assert_array_equal(read_image(tmp_path / "two.tif"), np.stack([first, second]))
    assert read_image(tmp_path / "two.tif", max_pixels=240).shape == (2, 10, 12)
    with pytest.raises(ImageReadError, match="declares 240 pixels, more than the limit of 239"):
        read_image(tmp_path / "two.tif", max_pixels=239)  # both pages count


def test_tiff_pages_read_by_pillow_are_refused_rather_than_dropped(tmp_path, monkeypatch):
    two_pages(tmp_path / "two.tif", np.zeros((10, 12), np.uint8), np.ones((10, 12), np.uint8))

    def lacking_a_codec(file, max_pixels):
        raise ValueError("a compression tifffile cannot decode")

    monkeypatch.setattr("histeq.io.tiff.read_tiff", lacking_a_codec)  # Pillow is tried next
    with pytest.raises(ImageReadError, match=r"two\.tif': it has 2 pages, of which only the first could be read"):
        read_image(tmp_path / "two.tif")
    tifffile.imwrite(tmp_path / "one.tif", np.full((10, 12), 9, np.uint8))
    np.testing.assert_array_equal(read_image(tmp_path / "one.tif"), 9)  # one page: Pillow reads it


# --- PNG decompression bombs -------------------------------------------------------------------


def zeros_stream(size: int, block: int = 1 << 24) -> bytes:
    """A zlib stream of ``size`` zero bytes (a multiple of ``block``), made in
    milliseconds: after a full flush zlib starts afresh, so every block of
    zeros compresses to the same bytes, which are repeated."""
    compressor = zlib.compressobj(9)
    head = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = (size % 65521) << 16 | 1  # Adler-32 of zeros: a = 1, b = size
    final_empty_block = b"\x03\x00"
    return head + again * (size // block - 1) + final_empty_block + struct.pack(">I", adler)


def bomb(width: int, height: int, depth: int, colour: int, inflated: int) -> bytes:
    """A PNG declaring ``width`` x ``height`` whose IDAT inflates to ``inflated`` zero bytes."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = zeros_stream(inflated)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


#: Reads each PNG bomb named on its command line in this child process, then
#: has libpng decode the first one as it would (bypassing histeq's size check),
#: and prints what happened and its peak memory.
READ_BOMBS = """
import json, sys, time
from histeq.io import ImageReadError, read_image
from histeq.io.png16 import _decode

results = {}
for path in sys.argv[1:]:
    try:
        image = read_image(path)
        results[path] = ["read", list(image.shape)]
    except ImageReadError as exc:
        results[path] = ["refused", str(exc)]
started = time.perf_counter()
decoded = _decode(open(sys.argv[1], "rb").read())
results["libpng"] = [list(decoded.shape), time.perf_counter() - started]
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent (pytest) across exec.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
results["peak MiB"] = peak / 1024
print(json.dumps(results))
"""


def test_png_whose_pixel_data_inflate_to_a_gibibyte_is_refused_and_memory_stays_bounded(tmp_path):
    import json

    gib = 1 << 30
    files = {
        "rgb16.png": bomb(64, 64, 16, 2, gib),  # libpng, through imagecodecs
        "grey16.png": bomb(64, 64, 16, 0, gib),  # Pillow
        "rgb8.png": bomb(64, 64, 8, 2, gib),  # Pillow
    }
    for name, data in files.items():
        assert len(data) < 5_000_000
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / name) for name in files]
    done = subprocess.run([sys.executable, "-c", READ_BOMBS, *paths], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    status, message = results[paths[0]]
    assert status == "refused" and "(IDAT, " in message and "64x64 pixels it declares need (24640 bytes" in message
    assert "decompression bomb" in message
    assert results[paths[1]] == ["read", [64, 64]] and results[paths[2]] == ["read", [64, 64, 3]]  # Pillow stops
    # libpng alone: the declared rows in memory, though it inflates the whole 1 GiB to check the stream.
    assert results["libpng"][0] == [64, 64, 3]
    assert results["peak MiB"] < 300, results


def test_the_pixel_data_limit_counts_the_rows_of_interlaced_files_exactly():
    from histeq.io.png16 import _raw_bytes

    passes = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1))
    for height, width in [(1, 1), (1, 9), (9, 1), (2, 3), (5, 5), (8, 8), (9, 11), (17, 33), (64, 64)]:
        image = np.zeros((height, width, 3), np.uint16)
        rows = [row for r, c, dr, dc in passes for row in image[r::dr, c::dc] if row.size]
        assert _raw_bytes(width, height, 6, interlaced=True) == sum(1 + row.nbytes for row in rows)
        assert _raw_bytes(width, height, 6, interlaced=False) == height * (1 + width * 6)


def test_legitimate_sixteen_bit_pngs_stay_within_the_pixel_data_limit(tmp_path):
    from histeq.io.png16 import IDAT_EXTRA, IDAT_SLACK

    noise = RNG.integers(0, 65536, (300, 200, 4), dtype=np.uint16)  # incompressible
    write_image(tmp_path / "noise.png", noise)
    np.testing.assert_array_equal(read_image(tmp_path / "noise.png"), noise)
    stored = zlib.compress(b"".join(b"\x00" + row.astype(">u2").tobytes() for row in noise), 0)  # no compression
    header = struct.pack(">IIBBBBB", 200, 300, 16, 6, 0, 0, 0)
    data = PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", stored) + png_chunk(b"IEND", b"")
    np.testing.assert_array_equal(read_image(io.BytesIO(data)), noise)
    assert len(stored) < IDAT_SLACK * 300 * (1 + 200 * 8) + IDAT_EXTRA


# --- writes checked complete -------------------------------------------------------------------


def test_a_write_that_stops_short_is_an_error_and_leaves_nothing(tmp_path):
    def short(file):  # writes to the descriptor, as numpy's tofile does, but fewer bytes than it says
        descriptor = file.fileno()
        os.write(descriptor, b"abc")
        file.seek(10)

    with pytest.raises(WriteError, match=r"cannot write '.*a\.bin': the file is incomplete \(3 of 10 bytes written\)"):
        write_safely(tmp_path / "a.bin", short)

    def cut(file):  # bytes written, then lost (a file system that drops them)
        file.write(b"0123456789")
        os.ftruncate(file.fileno(), 6)

    with pytest.raises(WriteError, match=r"the file is incomplete \(6 of 10 bytes written\)") as error:
        write_safely(tmp_path / "b.bin", cut)
    assert error.value.errno == errno.EIO
    assert list(tmp_path.iterdir()) == []


def test_files_written_through_the_counting_file_are_the_bytes_encoded_in_memory(tmp_path):
    array = RNG.integers(0, 65536, (3, 40, 50), dtype=np.uint16)
    images = {
        "stack.tif": ("TIFF", array),  # tifffile writes the pixels to the descriptor (numpy's tofile)
        "a.npy": ("NPY", array),
        "grey16.png": ("PNG", array[0]),
        "rgb16.png": ("PNG", np.moveaxis(array, 0, -1)),
        "grey.jpg": ("JPEG", (array[0] >> 8).astype(np.uint8)),  # Pillow, without the descriptor
        "rgb.jpg": ("JPEG", (np.moveaxis(array, 0, -1) >> 8).astype(np.uint8)),
    }
    for name, (file_format, image) in images.items():
        write_image(tmp_path / name, image)
        assert (tmp_path / name).read_bytes() == encode_image(image, file_format), name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(images)


@pytest.mark.parametrize("name", ["rgb.jpg", "grey.jpg", "rgb.png", "grey.bmp", "rgb.webp", "rgb.tga"])
def test_pillow_writes_the_same_bytes_through_memory_and_without_a_descriptor(tmp_path, name):
    # Pillow encodes into a file in memory (its encoders then release the
    # GIL) and the bytes are copied with checked writes; without one, it
    # writes to the file itself. The same file either way.
    image = RNG.integers(0, 256, (60, 70, 3) if name.startswith("rgb") else (60, 70), dtype=np.uint8)
    write_image(tmp_path / f"memory-{name}", image)
    with mock.patch("histeq.io.pillow._memory_file", return_value=None):
        write_image(tmp_path / f"direct-{name}", image)
    assert (tmp_path / f"memory-{name}").read_bytes() == (tmp_path / f"direct-{name}").read_bytes()
    if sys.platform.startswith("linux"):
        memory = pillow_io._memory_file()
        assert memory is not None
        memory.close()


def test_paths_are_checked_before_anything_is_written(tmp_path):
    check_writable(tmp_path / "a.png")
    with pytest.raises(OSError, match=r"its name is 300 bytes long, more than the 255") as error:
        check_writable(tmp_path / ("n" * 296 + ".png"))
    assert error.value.errno == errno.ENAMETOOLONG
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_writable(tmp_path / "missing" / "a.png")
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(FileExistsError):
        check_writable(tmp_path / "a.png")
    check_writable(tmp_path / "a.png", overwrite=True)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        check_writable(tmp_path / "folder.png", overwrite=True)
    if os.geteuid() != 0:  # root may write anywhere
        (tmp_path / "locked").mkdir(mode=0o500)
        with pytest.raises(PermissionError, match="is not writable"):
            check_writable(tmp_path / "locked" / "a.png")


def test_only_stale_temporary_files_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    names = {
        f"{TEMPORARY_PREFIX}{dead.pid}-0123abcd.png": True,  # its process is gone
        f"{TEMPORARY_PREFIX}{os.getpid()}-0123abcd.tif": True,  # this process has written none yet
        f"{TEMPORARY_PREFIX}{dead.pid}-0123abcd": True,  # no suffix
        f"{TEMPORARY_PREFIX}1-0123abcd.png": False,  # its process runs
        f"{TEMPORARY_PREFIX}{dead.pid}-0123abcd.png.x": False,  # not our naming
        f"{TEMPORARY_PREFIX}{dead.pid}-0123ABCD.png": False,
        f"{TEMPORARY_PREFIX}{dead.pid}-0123abc.png": False,
        f"{TEMPORARY_PREFIX}abcd1234.png": False,  # an older histeq's: no process id
        f"{dead.pid}-0123abcd.png": False,
        "image.png": False,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"data")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{TEMPORARY_PREFIX}{dead.pid}-0123abcd.png").write_bytes(b"not a folder of this run")
    (tmp_path / f"{TEMPORARY_PREFIX}{dead.pid}-aaaaaaaa.png").mkdir()  # not a file
    (tmp_path / f"{TEMPORARY_PREFIX}{dead.pid}-bbbbbbbb.png").symlink_to("image.png")  # not a file
    past = time.time() - 60
    for path in tmp_path.iterdir():
        os.utime(path, (past, past), follow_symlinks=False)
    (tmp_path / f"{TEMPORARY_PREFIX}{dead.pid}-cccccccc.png").write_bytes(b"written after the run started")
    removed = remove_stale_temporaries([tmp_path, tmp_path / "missing"], before=time.time() - 30)
    assert sorted(path.name for path in removed) == sorted(name for name, stale in names.items() if stale)
    left = {path.name for path in tmp_path.iterdir()}
    assert left == {name for name, stale in names.items() if not stale} | {
        "sub",
        f"{TEMPORARY_PREFIX}{dead.pid}-aaaaaaaa.png",
        f"{TEMPORARY_PREFIX}{dead.pid}-bbbbbbbb.png",
        f"{TEMPORARY_PREFIX}{dead.pid}-cccccccc.png",
    }


def test_stale_zarr_stores_of_dead_processes_are_removed_whole(tmp_path):
    # A Zarr run killed before its rename leaves its temporary store (a folder).
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    stores = {
        f"{TEMPORARY_PREFIX}{dead.pid}-0123abcd.zarr": True,
        f"{TEMPORARY_PREFIX}1-0123abcd.zarr": False,  # its process runs
        f"{TEMPORARY_PREFIX}{dead.pid}-0123abcd.png": False,  # a folder, but no store's name
    }
    for name in stores:
        (tmp_path / name / "0").mkdir(parents=True)
        (tmp_path / name / "zarr.json").write_text("{}")
        (tmp_path / name / "0" / "0").write_bytes(b"chunk")
    past = time.time() - 60
    for path in tmp_path.iterdir():
        os.utime(path, (past, past))
    removed = remove_stale_temporaries([tmp_path], before=time.time() - 30)
    assert [path.name for path in removed] == [name for name, stale in stores.items() if stale]
    assert {path.name for path in tmp_path.iterdir()} == {name for name, stale in stores.items() if not stale}


def test_an_interrupt_right_after_the_temporary_is_created_leaves_nothing(tmp_path):
    # Ctrl-C landing between the temporary file's creation and its clean-up
    # handler: held back until the handler is in place (a real signal, sent
    # by the process to itself at the worst moment).
    child = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from histeq.io import safe_write\n"
        "create = safe_write._create_temporary\n"
        "def create_then_interrupt(folder, suffix):\n"
        "    made = create(folder, suffix)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return made\n"
        "safe_write._create_temporary = create_then_interrupt\n"
        "try:\n"
        "    safe_write.write_safely(Path(sys.argv[1]) / 'a.png', lambda file: file.write(b'data'))\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
    )
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout == "interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_signals_the_process_ignores_stay_ignored_while_held():
    # Held signals are noted and raised again at the end; an ignored one
    # has nothing to hold (a background job of a shell starts with SIGINT ignored).
    previous, terminate = signal.signal(signal.SIGINT, signal.SIG_IGN), signal.getsignal(signal.SIGTERM)
    try:
        with safe_write.signals_held():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not terminate  # held: noted, raised at the end
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is terminate
    finally:
        signal.signal(signal.SIGINT, previous)
