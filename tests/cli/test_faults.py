"""The ``histeq`` command when things go wrong: writes cut short, processes
killed or terminated, worker processes orphaned, figures that cannot be
written, symbolic link loops. Run for real in subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import histeq
from histeq.io import TEMPORARY_PREFIX, read_image, write_image

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, rlimits and /proc of Linux")

RNG = np.random.default_rng(23)

#: Runs the command with a file size limit: writes past it fail with EFBIG
#: (SIGXFSZ ignored, as Python does anyway).
WITH_FILE_SIZE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))
from histeq.cli import main
sys.exit(main(sys.argv[2:]))
"""


def command(*args) -> list[str]:
    return [sys.executable, "-m", "histeq", *map(str, args)]


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True)


def run_limited(limit: int, *args) -> subprocess.CompletedProcess:
    code = [sys.executable, "-c", WITH_FILE_SIZE_LIMIT, str(limit), *map(str, args)]
    return subprocess.run(code, capture_output=True, text=True)


def files(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones too) -> its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"{TEMPORARY_PREFIX}*"))


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux's /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def is_worker(pid: int) -> bool:
    """Whether ``pid`` is a worker of a process pool (not its resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def is_running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie that no one collects has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return condition()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """30 small images, and what a clean run writes for them (file -> bytes)."""
    root = tmp_path_factory.mktemp("batch")
    folder = root / "in"
    folder.mkdir()
    for index in range(30):
        write_image(folder / f"{index:02d}.png", RNG.integers(0, 200, (500, 500), dtype=np.uint8))
    done = run("equalize", folder, "-o", root / "clean")
    assert done.returncode == 0, done.stderr
    return folder, files(root / "clean")


def start_and_stop(folder: Path, out: Path, signum: int, workers: int = 1) -> tuple[int, str, list[int]]:
    """Start a batch, and send it ``signum`` while it writes a file, after
    four are done; returns its exit status, its stderr and its workers' ids."""
    errors = out.with_name(out.name + ".stderr")
    with open(errors, "w") as stderr:  # no pipes: orphaned workers would hold them open
        process = subprocess.Popen(
            command("equalize", folder, "-o", out, "--workers", workers), stdout=subprocess.DEVNULL, stderr=stderr
        )
    workers_seen: list[int] = []

    def writing() -> bool:
        if workers > 1 and len(workers_seen) < workers:
            workers_seen[:] = [pid for pid in children(process.pid) if is_worker(pid)]
            return False
        names = os.listdir(out) if out.is_dir() else []
        writing = [name for name in names if name.startswith(TEMPORARY_PREFIX)]
        return len(names) - len(writing) >= 4 and bool(writing)

    try:
        assert wait_until(writing, 60), "the batch never got going"
        process.send_signal(signum)
        status = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    return status, errors.read_text(), workers_seen


def test_a_write_cut_short_is_a_failure_and_a_rerun_completes_it(tmp_path):
    # Outputs of each format, a small and a large one: the limit (20000 bytes)
    # cuts the large ones short. A JPEG of 25-60 kB is one write of Pillow's
    # encoder, which used to ignore its short write: a truncated file, "done".
    folder = tmp_path / "in"
    folder.mkdir()
    sizes = {"small": 16, "large": 200}
    for size, side in sizes.items():
        write_image(folder / f"{size}.jpg", RNG.integers(20, 100, (side, side, 3), dtype=np.uint8))
        write_image(folder / f"{size}.png", RNG.integers(20, 100, (side, side), dtype=np.uint8))
        write_image(folder / f"{size}.tif", RNG.integers(20, 100, (side, side), dtype=np.uint16))
        write_image(folder / f"{size}.npy", RNG.integers(20, 100, (side, side), dtype=np.uint16))
    assert run("equalize", folder, "-o", tmp_path / "clean").returncode == 0
    clean = files(tmp_path / "clean")
    assert all(len(data) > 20000 for name, data in clean.items() if name.startswith("large"))

    out = tmp_path / "out"
    done = run_limited(20000, "equalize", folder, "-o", out, "--json")
    assert done.returncode == 1, done.stderr
    report = {Path(f["input"]).name: (f["status"], f["error"]) for f in json.loads(done.stdout)["files"]}
    for name, (status, error) in report.items():
        if name.startswith("large"):
            assert status == "failed" and f"cannot write {str(out / name)!r}" in error, (name, error)
            assert "File too large" in error or "cut short" in error, error
        else:
            assert status == "done", (name, error)
    assert "Traceback" not in done.stderr and done.stderr.count("histeq: error:") == 4
    assert files(out) == {name: data for name, data in clean.items() if name.startswith("small")}  # nothing partial

    done = run("equalize", folder, "-o", out)
    assert done.returncode == 0 and "4 done, 4 skipped, 0 failed" in done.stdout, done.stdout + done.stderr
    assert files(out) == clean


def test_a_figure_that_cannot_be_written_leaves_neither_file(tmp_path):
    image = tmp_path / "grey.png"
    write_image(image, RNG.integers(20, 100, (30, 40), dtype=np.uint8))  # output about 1 kB, figure far more
    (tmp_path / "out").mkdir()
    # A first run writes numba's and matplotlib's caches (on a fresh machine), which the limit would cut short.
    assert run("equalize", image, "-o", tmp_path / "warm.png", "--plot").returncode == 0
    done = run_limited(20000, "equalize", image, "-o", tmp_path / "out" / "grey.png", "--plot")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "grey.plot.png" in done.stderr and "removed again" in done.stderr, done.stderr
    assert files(tmp_path / "out") == {}
    done = run("equalize", image, "-o", tmp_path / "out" / "grey.png", "--plot")
    assert done.returncode == 0, done.stderr
    assert sorted(files(tmp_path / "out")) == ["grey.plot.png", "grey.png"]


def test_a_too_long_figure_name_is_refused_before_anything_is_written(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    long_name = "n" * 251 + ".png"  # 255 bytes: the longest name; NAME.plot.png would be 260
    for name in (long_name, "short.png"):
        write_image(folder / name, RNG.integers(20, 100, (20, 30), dtype=np.uint8))
    out.mkdir()
    done = run("equalize", folder / long_name, "-o", out / long_name, "--plot")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "260 bytes long, more than the 255" in done.stderr, done.stderr
    assert files(out) == {}  # the output is not written without its figure
    done = run("equalize", folder, "-o", out, "--plot", "--json")
    assert done.returncode == 1
    status = {Path(f["input"]).name: f["status"] for f in json.loads(done.stdout)["files"]}
    assert status == {long_name: "failed", "short.png": "done"}
    assert sorted(files(out)) == ["short.plot.png", "short.png"]


def test_a_figure_that_would_be_another_files_output_is_refused_even_with_force(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    image = RNG.integers(20, 100, (20, 30), dtype=np.uint8)
    for name in ("a.png", "a.plot.png"):  # a.png's figure would be out/a.plot.png
        write_image(folder / name, image)
    done = run("equalize", folder, "-o", out, "--plot", "--force", "--json")
    assert done.returncode == 1
    report = {Path(f["input"]).name: (f["status"], f["error"]) for f in json.loads(done.stdout)["files"]}
    assert report["a.plot.png"] == ("done", None)
    status, error = report["a.png"]
    assert status == "failed" and f"figure {str(out / 'a.plot.png')!r} is also written for" in error
    assert sorted(files(out)) == ["a.plot.plot.png", "a.plot.png"]
    np.testing.assert_array_equal(read_image(out / "a.plot.png"), histeq.equalize(image))  # an image, not a figure


def test_killed_batch_rerun_removes_its_temporary_files_and_completes_byte_identical(tmp_path, batch):
    folder, clean = batch
    out = tmp_path / "out"
    status, _, _ = start_and_stop(folder, out, signal.SIGKILL)
    assert status == -signal.SIGKILL
    finished = files(out)
    assert 4 <= len(finished) - len(temporaries(out)) < 30
    # What the killed process may have left: the file it was writing, under
    # its own name (planted too, so that the rerun always has one to remove).
    dead = int(temporaries(out)[0].split("-")[1]) if temporaries(out) else dead_pid()
    (out / f"{TEMPORARY_PREFIX}{dead}-0123abcd.png").write_bytes(b"half an image")
    # Not the rerun's to remove: another run's file (its process runs: this
    # one), older names, and names that only look alike.
    kept = {
        f"{TEMPORARY_PREFIX}{os.getpid()}-89abcdef.png": b"being written",
        f"{TEMPORARY_PREFIX}abcd1234.png": b"an older histeq's",
        f"{TEMPORARY_PREFIX}{dead}-0123abcd.png.bak": b"a user's",
        f"x{TEMPORARY_PREFIX}{dead}-0123abcd.png": b"a user's",
    }
    for name, data in kept.items():
        (out / name).write_bytes(data)
    past = time.time() - 60
    for path in out.iterdir():
        os.utime(path, (past, past))

    done = run("equalize", folder, "-o", out)
    assert done.returncode == 0, done.stderr
    assert files(out) == {**clean, **kept}
    for name in kept:
        (out / name).unlink()
    assert temporaries(out) == []


def test_terminated_batch_cleans_up_exits_143_and_a_rerun_completes_byte_identical(tmp_path, batch):
    folder, clean = batch
    out = tmp_path / "out"
    status, stderr, _ = start_and_stop(folder, out, signal.SIGTERM)
    assert status == 143 and stderr.endswith("histeq: terminated\n"), (status, stderr)
    assert temporaries(out) == []  # the file being written was removed
    finished = files(out)
    assert 4 <= len(finished) < 30 and all(clean[name] == data for name, data in finished.items())
    done = run("equalize", folder, "-o", out)
    assert done.returncode == 0 and f"{30 - len(finished)} done, {len(finished)} skipped" in done.stdout
    assert files(out) == clean


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_workers_end_with_their_parent(tmp_path, batch, signum):
    folder, clean = batch
    out = tmp_path / "out"
    status, _, workers = start_and_stop(folder, out, signum, workers=2)
    stopped = time.monotonic()
    try:
        assert len(workers) == 2
        assert wait_until(lambda: not any(map(is_running, workers)), 5), "workers outlived the command"
        assert time.monotonic() - stopped < 3
    finally:
        for pid in filter(is_running, workers):
            os.kill(pid, signal.SIGKILL)
    assert status == (143 if signum == signal.SIGTERM else -signal.SIGKILL)
    assert temporaries(out) == []  # the workers removed what they were writing
    done = run("equalize", folder, "-o", out, "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert files(out) == clean


def test_a_worker_s_second_sigterm_does_not_cut_its_clean_up_short():
    # The pool terminates its other workers when one has ended, so a worker
    # removing its temporary file after a SIGTERM can get a second one.
    script = (
        "import os, signal, time\n"
        "from histeq.cli import runner\n"
        "signal.signal(signal.SIGTERM, runner._worker_terminated)\n"
        "runner._in_job = True\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(0.1)\n"
        "        print('cleaned up')\n"
        "    except KeyboardInterrupt:\n"
        "        print('cut short')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "cleaned up", done.stderr


def test_the_fallback_watch_ends_a_worker_whose_parent_died(tmp_path):
    # Where Linux's parent-death signal cannot be asked for, a worker's thread
    # watches its parent process; here on its own, in a child of a "parent".
    child = (
        "import os, threading, time\n"
        "from histeq.cli.runner import _watch_parent\n"
        "threading.Thread(target=_watch_parent, args=(os.getppid(), 0.02), daemon=True).start()\n"
        "open(os.environ['READY'], 'w').close()\n"
        "time.sleep(60)\n"
    )
    parent = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {child!r}])\ntime.sleep(60)\n"
    ready = tmp_path / "ready"
    process = subprocess.Popen([sys.executable, "-c", parent], env={**os.environ, "READY": str(ready)})
    watcher = None
    try:
        assert wait_until(ready.exists, 30)
        (watcher,) = children(process.pid)
        process.kill()
        process.wait()
        assert wait_until(lambda: not is_running(watcher), 3), "the child outlived its parent"
    finally:
        process.kill()
        process.wait()
        if watcher is not None and is_running(watcher):
            os.kill(watcher, signal.SIGKILL)


def test_symbolic_link_loops_end_and_each_folder_is_read_once(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    write_image(folder / "sub" / "a.png", RNG.integers(20, 100, (10, 12), dtype=np.uint8))
    write_image(folder / "top.png", RNG.integers(20, 100, (10, 12), dtype=np.uint8))
    (folder / "sub" / "up").symlink_to("..")  # two loops: every path through them would be read
    (folder / "sub" / "up2").symlink_to("..")
    (folder / "again").symlink_to("sub")  # a link to a folder of the tree: read once, as sub/
    (folder / "x.png").symlink_to("y.png")  # a loop of file links: that file fails, in one line
    (folder / "y.png").symlink_to("x.png")
    done = run("equalize", folder, "-o", tmp_path / "out", "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    report = {f["input"]: (f["status"], f["error"]) for f in json.loads(done.stdout)["files"]}
    assert sorted(report) == [str(folder / name) for name in ("sub/a.png", "top.png", "x.png", "y.png")]
    for name in ("x.png", "y.png"):
        assert report[str(folder / name)][0] == "failed"
        assert "Too many levels of symbolic links" in report[str(folder / name)][1]
    assert sorted(files(tmp_path / "out")) == ["sub/a.png", "top.png"]

    done = run("equalize", f"{folder}/**/*.png", "-o", tmp_path / "globbed", "--json")
    assert "Traceback" not in done.stderr
    inputs = sorted(f["input"] for f in json.loads(done.stdout)["files"])
    assert inputs == [str(folder / name) for name in ("sub/a.png", "top.png", "x.png", "y.png")]
    assert sorted(files(tmp_path / "globbed")) == ["a.png", "top.png"]


def test_a_link_to_a_sibling_folder_is_followed(tmp_path):
    folder, sibling = tmp_path / "in", tmp_path / "sibling"
    (sibling / "deep").mkdir(parents=True)
    folder.mkdir()
    image = RNG.integers(20, 100, (10, 12), dtype=np.uint8)
    write_image(sibling / "deep" / "s.png", image)
    write_image(folder / "own.png", image)
    (folder / "linked").symlink_to(sibling)
    (sibling / "back").symlink_to(folder)  # and back: a loop through two folders
    done = run("equalize", folder, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert sorted(files(tmp_path / "out")) == ["linked/deep/s.png", "own.png"]
    out = files(tmp_path / "out")
    assert out["linked/deep/s.png"] == out["own.png"]  # the same image, the same output
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "own.png"), histeq.equalize(image))
