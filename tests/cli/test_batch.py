"""Batches of files through the ``histeq`` command, run for real in a subprocess."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

import histeq
from histeq.cli.jobs import Job, Outcome
from histeq.cli.report import Progress
from histeq.io import TEMPORARY_PREFIX, read_image, write_image

RNG = np.random.default_rng(5)


def run(*args):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True)


def low_contrast(shape, dtype=np.uint8, top=120):
    return RNG.integers(top // 3, top, shape).astype(dtype)


def expected(image: np.ndarray) -> np.ndarray:
    """What ``histeq equalize`` writes for ``image``: colour by its luminance (YCrCb's Y), alpha kept."""
    if image.ndim == 3 and image.shape[2] in (3, 4):
        result = image.copy()
        result[..., :3] = histeq.equalize(np.ascontiguousarray(image[..., :3]), channel_axis=-1, color="ycrcb")
        return result
    return histeq.equalize(image)


def after_writing(path: Path, image: np.ndarray, scratch: Path) -> np.ndarray:
    """``image`` as read back from a file like ``path`` (JPEG is lossy)."""
    if path.suffix != ".jpg":
        return image
    write_image(scratch / path.name, image, overwrite=True)
    return read_image(scratch / path.name)


@pytest.fixture
def tree(tmp_path):
    """A folder tree of small images of every kind, and files a batch leaves alone."""
    root = tmp_path / "in"
    images = {
        "grey8.png": low_contrast((30, 40)),
        "photo.jpg": low_contrast((24, 32, 3)),
        "deep/grey16.png": low_contrast((20, 30), np.uint16, 9000),
        "deep/rgb.png": low_contrast((20, 30, 3)),
        "deep/deeper/rgba.png": np.dstack([low_contrast((20, 30, 3)), np.full((20, 30), 99, np.uint8)]),
        "deep/stack.tif": low_contrast((3, 20, 30), np.uint16, 3000),
        "deep/float.npy": RNG.random((20, 30)).astype(np.float32) * 0.3,
        "deep/ints.npy": low_contrast((20, 30), np.int32, 70000),
    }
    for name, image in images.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_image(root / name, image)
    (root / "notes.txt").write_text("not an image")
    (root / "deep" / f"{TEMPORARY_PREFIX}abc.png").write_bytes(b"half an image")
    return root, sorted(images)


def png_header(width: int, height: int) -> bytes:
    """The start of an 8-bit grey PNG file of that size: enough for Pillow to open it."""
    fields = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", fields) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def outputs(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_folder_tree_is_mirrored_and_each_output_is_the_librarys(tmp_path, tree):
    root, names = tree
    done = run("equalize", root, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert outputs(tmp_path / "out") == names
    assert "8 done, 0 skipped, 0 failed" in done.stdout and done.stderr == ""
    for name in names:
        image = read_image(root / name)
        result = read_image(tmp_path / "out" / name)
        assert result.dtype == image.dtype, name
        np.testing.assert_array_equal(result, after_writing(root / name, expected(image), tmp_path), err_msg=name)


def test_corrupt_file_is_reported_and_the_others_are_done(tmp_path, tree):
    root, names = tree
    (root / "deep" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    done = run("equalize", root, "-o", tmp_path / "out")
    assert done.returncode == 1
    errors = done.stderr.splitlines()
    assert len(errors) == 1 and "broken.png" in errors[0] and "Traceback" not in done.stderr
    assert outputs(tmp_path / "out") == names
    assert "8 done, 0 skipped, 1 failed" in done.stdout


def test_existing_outputs_are_skipped_force_redoes_them_and_a_rerun_completes(tmp_path, tree):
    root, names = tree
    out = tmp_path / "out"
    assert run("equalize", root / "deep", "-o", out / "deep").returncode == 0  # a partial run
    (out / "grey8.png").write_bytes(b"precious")
    done = run("equalize", root, "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    status = {Path(f["input"]).relative_to(root).as_posix(): f["status"] for f in json.loads(done.stdout)["files"]}
    assert status == {name: "done" if name == "photo.jpg" else "skipped" for name in names}
    assert (out / "grey8.png").read_bytes() == b"precious"
    done = run("equalize", root, "-o", out, "--force")
    assert done.returncode == 0 and "8 done, 0 skipped" in done.stdout
    np.testing.assert_array_equal(read_image(out / "grey8.png"), expected(read_image(root / "grey8.png")))


def test_json_report_matches_what_happened_and_workers_give_identical_files(tmp_path, tree):
    root, names = tree
    (root / "bad.npy").write_bytes(b"\x93NUMPY" + b"\x00" * 20)
    serial = run("equalize", root, "-o", tmp_path / "serial")
    done = run("equalize", root, "-o", tmp_path / "parallel", "--workers", "2", "--json")
    assert serial.returncode == done.returncode == 1
    report = json.loads(done.stdout)  # stdout holds the report and nothing else
    assert report["command"] == "equalize" and report["inputs"] == [str(root)]
    assert report["totals"] == {"done": 8, "skipped": 0, "failed": 1, "files": 9}
    failed = [f for f in report["files"] if f["status"] == "failed"]
    assert [Path(f["input"]).name for f in failed] == ["bad.npy"] and "bad.npy" in failed[0]["error"]
    for entry in report["files"]:
        assert Path(entry["output"]).exists() == (entry["status"] == "done")
    assert outputs(tmp_path / "parallel") == outputs(tmp_path / "serial") == names
    for name in names:
        assert (tmp_path / "parallel" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name


def test_globs_and_several_inputs_write_by_file_name(tmp_path, tree):
    root, _ = tree
    out = tmp_path / "out"
    done = run("clahe", f"{root}/**/*.png", root / "photo.jpg", "-o", out, "--clip-limit", "2", "--tile-grid", "2")
    assert done.returncode == 0, done.stderr
    assert outputs(out) == ["grey16.png", "grey8.png", "photo.jpg", "rgb.png", "rgba.png"]
    grey = read_image(root / "grey8.png")
    np.testing.assert_array_equal(read_image(out / "grey8.png"), histeq.clahe(grey, clip_limit=2, tile_grid=2))
    done = run("equalize", f"{root}/*.nothing", "-o", out, "--json")
    assert done.returncode == 1 and json.loads(done.stdout)["files"][0]["error"].endswith("no files match this pattern")


def test_output_equal_to_input_and_clashing_names_are_refused_per_file(tmp_path, tree):
    root, names = tree
    done = run("equalize", root, "-o", root)
    assert done.returncode == 1 and done.stderr.count("the output is the input file") == len(names)
    assert "Traceback" not in done.stderr
    twin = root / "deep" / "grey8.png"
    write_image(twin, low_contrast((5, 5)))
    done = run("equalize", root / "grey8.png", twin, "-o", tmp_path / "out2")
    assert done.returncode == 1 and "is also" in done.stderr
    np.testing.assert_array_equal(read_image(tmp_path / "out2" / "grey8.png"), expected(read_image(root / "grey8.png")))


def test_output_folder_inside_the_input_folder_is_not_read_again(tmp_path, tree):
    root, names = tree
    assert run("equalize", root, "-o", root / "out").returncode == 0
    done = run("equalize", root, "-o", root / "out")
    assert done.returncode == 0 and f"0 done, {len(names)} skipped" in done.stdout


def test_max_pixels_refuses_images_before_decoding_them(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bomb.png").write_bytes(png_header(30000, 30000))  # declares 900 megapixels
    write_image(folder / "small.png", low_contrast((10, 10)))
    write_image(folder / "page.tif", low_contrast((100, 100)))
    with open(folder / "huge.npy", "wb") as file:  # a header that declares 10**10 pixels, no data
        np.lib.format.write_array_header_1_0(file, {"descr": "|u1", "fortran_order": False, "shape": (100000, 100000)})
    started = time.monotonic()
    done = run("equalize", folder, "-o", tmp_path / "out", "--max-pixels", "5000", "--json")
    assert time.monotonic() - started < 20  # nothing large was decoded
    assert done.returncode == 1
    status = {Path(f["input"]).name: (f["status"], f["error"]) for f in json.loads(done.stdout)["files"]}
    assert status["small.png"] == ("done", None)
    for name in ("bomb.png", "page.tif", "huge.npy"):
        assert status[name][0] == "failed" and "more than the limit of 5000" in status[name][1], status[name]
    done = run("equalize", folder / "bomb.png", "-o", tmp_path / "bomb.png", "--max-pixels", "100000000")
    assert done.returncode == 1 and "900000000 pixels" in done.stderr and "Traceback" not in done.stderr


def test_killed_batch_leaves_only_complete_files_and_a_rerun_completes(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for index in range(40):
        write_image(folder / f"{index:02d}.png", RNG.integers(0, 200, (1200, 1200), dtype=np.uint8))
    command = [sys.executable, "-m", "histeq", "equalize", str(folder), "-o", str(out), "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(out.glob("[0-9]*.png"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = sorted(out.glob("[0-9]*.png"))
    assert 3 <= len(finished) < 40
    leftovers = [p.name for p in out.iterdir() if p not in finished]
    assert all(name.startswith(TEMPORARY_PREFIX) for name in leftovers), leftovers  # at most the one being written
    assert len(leftovers) <= 1
    for path in finished:
        np.testing.assert_array_equal(read_image(path), histeq.equalize(read_image(folder / path.name)))
    done = run("equalize", folder, "-o", out)
    assert done.returncode == 0 and f"{40 - len(finished)} done, {len(finished)} skipped" in done.stdout
    for path in sorted(folder.iterdir()):
        np.testing.assert_array_equal(read_image(out / path.name), histeq.equalize(read_image(path)))


def test_single_file_keeps_its_output_file_and_npy_round_trips(tmp_path):
    image = low_contrast((12, 14, 3), np.uint16, 4000)
    write_image(tmp_path / "a.npy", image)
    done = run("equalize", tmp_path / "a.npy", "-o", tmp_path / "b.tif")
    assert done.returncode == 0 and "a.npy ->" in done.stdout
    np.testing.assert_array_equal(read_image(tmp_path / "b.tif"), expected(image))
    done = run("equalize", tmp_path / "a.npy", "-o", tmp_path / "b.tif")
    assert done.returncode == 1 and "--force" in done.stderr
    np.save(tmp_path / "objects.npy", np.array([1, None], dtype=object))
    done = run("equalize", tmp_path / "objects.npy", "-o", tmp_path / "c.npy")
    assert done.returncode == 1 and "objects.npy" in done.stderr and "Traceback" not in done.stderr


def test_progress_bar_counts_and_reports_failures():
    stream = io.StringIO()
    progress = Progress(4, enabled=True, stream=stream)
    job = Job(Path("a.png"), Path("out/a.png"))
    progress.update(Outcome(job, "done"))
    progress.update(Outcome(job, "failed", "'a.png': broken"))
    assert progress.tally() == "1 done, 0 skipped, 1 failed"
    assert "2/4" in str(progress.bar) and "1 failed" in str(progress.bar) and "<" in str(progress.bar)  # ETA
    assert "histeq: error: 'a.png': broken\n" in stream.getvalue()
    quiet = io.StringIO()
    silent = Progress(4, enabled=False, stream=quiet)
    silent.update(Outcome(job, "done"))
    silent.close()
    assert quiet.getvalue() == ""


def test_match_a_folder_to_one_reference_in_two_workers(tmp_path, tree):
    root, _ = tree
    reference = low_contrast((16, 16), top=250)
    write_image(tmp_path / "ref.png", reference)
    done = run("match", root / "deep", "-o", tmp_path / "out", "--reference", tmp_path / "ref.png", "--workers", "2")
    assert done.returncode == 1  # colour images need a colour reference: failed, the grey ones done
    assert "4 done, 0 skipped, 2 failed" in done.stdout and done.stderr.count("colour sample") == 2
    grey = read_image(root / "deep" / "grey16.png")
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "grey16.png"), histeq.match_histograms(grey, reference))


MMAPPED_BYTES = """
import ctypes, sys
import numpy as np
from histeq.cli.runner import _start_worker, keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2
{"command": keep_freed_memory, "worker": lambda: _start_worker(1), "none": lambda: None}[sys.argv[1]]()
before = mallinfo2()
image = np.ones((1080, 1920, 3), np.uint8)  # 6 MB: fresh pages of its own unless the heap serves it
mapped = mallinfo2().hblkhd - before.hblkhd
del image
print(mapped, mallinfo2().fordblks - before.fordblks)  # mapped for the image; freed, kept in the heap
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_command_processes_take_images_from_the_heap_which_keeps_freed_memory():
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc" or not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("glibc's malloc, 2.33 or later")
    image = 1080 * 1920 * 3
    mapped, kept = {}, {}
    for setup in ("none", "command", "worker"):
        done = subprocess.run([sys.executable, "-c", MMAPPED_BYTES, setup], capture_output=True, text=True, check=True)
        mapped[setup], kept[setup] = map(int, done.stdout.split())
    # glibc's default: mapped on its own, unmapped when freed; (free heap the
    # image took in part before the heap grew is not counted as kept)
    assert mapped["none"] >= image and kept["none"] < image // 2
    for setup in ("command", "worker"):
        assert mapped[setup] == 0 and kept[setup] >= image // 2, setup
