"""What a command-line process loads: ``import histeq`` imports no numpy,
``histeq`` gives numpy's OpenBLAS one thread; ``histeq --help`` and a
one-file run of the common cases import no numba (small one-shot images take
the numpy backend) and none of the optional libraries they do not use (nor
histeq's own video, Zarr, matching and specification code, nor, for one
file, CLAHE's or other formats' code); the output is the compiled kernels'
byte for byte. Folder runs on threads (the
default) write what one file at a time and worker processes write, and stop
cleanly. Run for real in subprocesses."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from histeq.cli.runner import COMPILED_FROM_FILES
from histeq.io import TEMPORARY_PREFIX, write_image

#: Runs the command line in-process, then prints which of these modules it loaded.
WATCHED = (
    *("numba", "matplotlib", "tqdm", "tifffile", "imagecodecs", "multiprocessing", "scipy", "dask", "av"),
    *("histeq.video", "histeq.io.zarr", "histeq.matching", "histeq.specification"),
    "PIL.SpiderImagePlugin",  # one of Pillow's plugins a folder of JPEGs and PNGs does not need
)
#: histeq's modules that a one-file equalization imports not: CLAHE, the plan
#: as a value, histograms (figures only), Zarr runs, the image tools' colour
#: frames, Lab, and the readers and writers of the formats other than the file's.
NOT_FOR_ONE_FILE = (
    *("histeq.clahe", "histeq._clahe", "histeq.plan", "histeq.histogram", "histeq.cli.zarr_jobs"),
    *("histeq._core.ffmpeg", "histeq._core.tool_frames", "histeq._core.colour_lab"),
    *("histeq.io.png16", "histeq.io.png_chunks", "histeq.io.tiff", "histeq.io.npy"),
)
#: Runs the command line in-process (the watched modules, then its arguments),
#: then prints which of the watched modules it loaded.
RUN_AND_LIST = """
import sys
from histeq.cli import main
watched = sys.argv.pop(1).split(",")
try:
    status = main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
print(status, *sorted(m for m in watched if m in sys.modules))
"""


def loaded(*args, backend: str = "auto", watched: tuple[str, ...] = WATCHED) -> tuple[str, list[str]]:
    """The exit status of ``histeq ARGS`` in a fresh process and the ``watched`` modules it loaded."""
    env = {**os.environ, "HISTEQ_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, ",".join(watched), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    status, *modules = done.stdout.split("\n")[-2].split()
    return status, modules


def photo(shape, seed=0) -> np.ndarray:
    """A low-contrast image: a smooth gradient with some noise."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, shape[0] * shape[1]).reshape(shape[:2])
    if len(shape) == 3:
        ramp = ramp[..., None] * np.array([1.0, 0.8, 0.6])
    return (60 + 80 * ramp + rng.normal(0, 4, shape)).clip(0, 255).astype(np.uint8)


def test_import_loads_no_numpy_nor_numba():
    watched = ("numpy", *WATCHED)
    done = subprocess.run(
        [sys.executable, "-c", f"import sys, histeq; print(*[m for m in {watched!r} if m in sys.modules])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == []


#: The program with a main that reports OpenBLAS's setting and, where Linux
#: tells, the process's threads once numpy is imported.
OPENBLAS_THREADS = """
import os
import histeq.cli as cli
def main():
    import numpy
    tasks = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 0
    print(os.environ.get("OPENBLAS_NUM_THREADS"), tasks)
    return 0
cli.main = main
cli.run()
"""


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("2", "2")])
def test_the_program_gives_openblas_one_thread_unless_told(given, expected):
    # histeq calls no BLAS; OpenBLAS's threads would spin at import numpy.
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run([sys.executable, "-c", OPENBLAS_THREADS], capture_output=True, text=True, env=env, check=True)
    setting, tasks = done.stdout.split()
    assert setting == expected
    if given is None and int(tasks):
        assert int(tasks) == 1  # numpy started no OpenBLAS threads


@pytest.mark.parametrize("args", [["--help"], ["equalize", "--help"], ["clahe", "--help"], ["--version"]])
def test_help_loads_nothing_optional(args):
    # Every command's options only where every command is listed (the video
    # command's defaults are the library's).
    every_command = args[0].startswith("-")
    assert loaded(*args) == ("0", ["histeq.video"] if every_command else [])


@pytest.mark.parametrize(
    ("name", "shape", "options"),
    [
        ("colour.jpg", (600, 800, 3), []),  # --color ycrcb, the default
        ("channels.jpg", (600, 800, 3), ["--color", "channels"]),
        ("grey.png", (600, 800), []),
        ("grey.png", (600, 800), ["--method", "pillow"]),
        ("clahe.png", (600, 800), ["clahe"]),
        ("clahe.jpg", (600, 800, 3), ["clahe"]),  # --color lab, clahe's default
        ("lab.jpg", (600, 800, 3), ["--color", "lab"]),
        ("match.jpg", (600, 800, 3), ["match", "--reference", "REFERENCE"]),
    ],
)
def test_one_file_loads_no_numba_and_writes_the_kernels_bytes(tmp_path, name, shape, options):
    source, reference = tmp_path / name, tmp_path / "reference.png"
    write_image(source, photo(shape))
    write_image(reference, photo(shape, seed=1)[::-1])
    command = options[:1] if options[:1] in (["clahe"], ["match"]) else ["equalize"]
    rest = [reference if option == "REFERENCE" else option for option in options[len(command) :]]
    if command == ["equalize"]:
        rest = options
    numpy_out, numba_out = tmp_path / f"numpy-{name}", tmp_path / f"numba-{name}"
    needed = ["histeq.matching"] if command == ["match"] else []
    assert loaded(*command, source, "-o", numpy_out, *rest) == ("0", needed)
    status, modules = loaded(*command, source, "-o", numba_out, *rest, backend="numba")
    assert status == "0" and "numba" in modules
    assert numpy_out.read_bytes() == numba_out.read_bytes()


def test_one_file_loads_no_code_it_does_not_run(tmp_path):
    # CLAHE, histograms (figures only), the image tools' frames, Lab, Zarr runs and the other formats'
    # readers and writers are imported where they are used.
    assert all(importlib.util.find_spec(name) for name in NOT_FOR_ONE_FILE)  # none renamed away
    source = tmp_path / "x.jpg"
    write_image(source, photo((60, 80, 3)))
    assert loaded("equalize", source, "-o", tmp_path / "y.jpg", watched=NOT_FOR_ONE_FILE) == ("0", [])


def test_demo_compiles_nothing(tmp_path):
    # Right after pip install (an empty kernel cache) nothing would have to compile.
    status, modules = loaded("demo", "-o", tmp_path / "demo")
    assert status == "0" and "numba" not in modules


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """24 JPEG photos and 6 PNGs."""
    root = tmp_path_factory.mktemp("photos") / "in"
    root.mkdir()
    for index in range(24):
        write_image(root / f"{index:02d}.jpg", photo((240, 320, 3), index))
    for index in range(6):
        write_image(root / f"{index:02d}.png", photo((240, 320), index))
    return root


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_threads_processes_and_one_at_a_time_write_the_same_files(tmp_path, folder):
    # Runs in this process load the compiled kernels at once (worker
    # processes start on the numpy backend): the bytes are the same.
    outputs = {}
    for name, workers in (("threads", []), ("one", ["--workers", "1"]), ("processes", ["--workers", "2"])):
        status, modules = loaded("equalize", folder, "-o", tmp_path / name, *workers)
        assert status == "0" and ("numba" in modules) == (name != "processes")
        outputs[name] = files(tmp_path / name)
    assert len(outputs["threads"]) == 30
    assert outputs["threads"] == outputs["one"] == outputs["processes"]


def test_a_few_files_load_no_numba(tmp_path, folder):
    few = tmp_path / "few"
    few.mkdir()
    for source in sorted(folder.iterdir())[: COMPILED_FROM_FILES - 1]:
        (few / source.name).write_bytes(source.read_bytes())
    assert loaded("equalize", few, "-o", tmp_path / "out") == ("0", [])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals of Linux")
@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGTERM], [signal.SIGINT, signal.SIGINT]])
def test_a_threaded_run_stops_with_whole_files_only(tmp_path, folder, signals):
    # Ctrl-C twice too: the files under way are still written whole.
    signum = signals[0]
    clean = tmp_path / "clean"
    assert loaded("equalize", folder, "-o", clean, "--workers", "1")[0] == "0"
    out, errors = tmp_path / "out", tmp_path / "stderr"
    with open(errors, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "histeq", "equalize", str(folder), "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.is_dir() and len(os.listdir(out)) >= 3):
            time.sleep(0.005)
        for number in signals:
            process.send_signal(number)
            time.sleep(0.002)
        status = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    if status == 0:
        pytest.skip("the batch finished before the signal")
    # A second Ctrl-C that comes once the files are written and the command is
    # exiting ends it by SIGINT instead.
    assert status == 128 + signum or (len(signals) > 1 and status == -signum), errors.read_text()
    written = files(out)
    assert not any(name.startswith(TEMPORARY_PREFIX) for name in written)
    expected = files(clean)
    assert written and all(data == expected[name] for name, data in written.items())
    assert len(written) < len(expected)


def test_the_program_exits_with_main_s_status_and_flushed_output(tmp_path, folder):
    # `histeq` ends without the interpreter's teardown: what it printed is
    # all there (a JSON report of 30 files to a pipe), and the status is main's.
    done = subprocess.run(
        [sys.executable, "-m", "histeq", "equalize", folder, "-o", tmp_path / "out", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["files"]) == 30
    failed = subprocess.run(
        [sys.executable, "-m", "histeq", "equalize", tmp_path / "missing.png", "-o", tmp_path / "x.png"],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1 and "missing.png" in failed.stderr


@pytest.mark.parametrize(
    ("module", "teardown"), [("multiprocessing.synchronize", False), ("multiprocessing.resource_tracker", True)]
)
def test_the_program_exits_the_usual_way_only_after_worker_processes(tmp_path, module, teardown):
    # A tqdm progress bar loads multiprocessing's locks and no process
    # starts: no teardown; worker processes load the resource tracker: the
    # usual exit releases their semaphores.
    script = (
        f"import atexit, importlib, sys; importlib.import_module({module!r}); atexit.register(print, 'teardown'); "
        f"sys.argv = ['histeq', 'equalize', {str(tmp_path / 'missing.png')!r}, '-o', {str(tmp_path / 'x.png')!r}]; "
        "from histeq.cli import run; run()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1 and "missing.png" in done.stderr
    assert ("teardown" in done.stdout) == teardown


def test_an_interrupt_main_does_not_handle_ends_the_program_quietly():
    # Ctrl-C during start-up, or a second one while the command ends after
    # the first: status 130, no traceback.
    script = (
        "import sys, histeq.cli as cli; sys.argv = ['histeq', '--help']\n"
        "def main():\n    raise KeyboardInterrupt\n"
        "cli.main = main; cli.run()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 130 and "Traceback" not in done.stderr, done.stderr
