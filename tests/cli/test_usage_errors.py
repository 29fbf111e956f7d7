"""Bad options exit 2 with the subcommand's usage line, before any file is
touched; messages speak the command line's language; output folders are
created for one file as for batches. Run for real in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from histeq.demo_image import demo_image
from histeq.io import read_image, write_image


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "histeq", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def grey(tmp_path):
    path = tmp_path / "grey.png"
    write_image(path, demo_image()[::4, ::4])
    return path


#: (command, options, words the message must hold)
BAD_OPTIONS = [
    ("clahe", ["--clip-limit", "-1"], "--clip-limit"),
    ("clahe", ["--clip-limit", "nan"], "--clip-limit"),
    ("clahe", ["--tile-grid", "0"], "--tile-grid"),
    ("clahe", ["--tile-grid", "8", "0"], "--tile-grid"),
    ("clahe", ["--nbins", "0"], "--nbins"),
    ("clahe", ["--kernel-size", "0", "--method", "skimage"], "--kernel-size"),
    ("clahe", ["--alpha", "0", "--distribution", "rayleigh"], "--alpha"),
    ("clahe", ["--kernel-size", "8"], "--kernel-size is for --method skimage"),
    ("clahe", ["--method", "skimage", "--tile-grid", "4"], "--tile-grid"),
    ("clahe", ["--method", "skimage", "--dtype-bins"], "--dtype-bins"),
    ("clahe", ["--alpha", "0.3"], "--distribution rayleigh or exponential"),
    ("equalize", ["--nbins", "0"], "--nbins"),
    ("equalize", ["--target", "gaussian", "--method", "bbhe"], "--target"),
    ("equalize", ["--quality", "0"], "--quality"),
    ("equalize", ["--quality", "80"], "--quality is for JPEG, WEBP and AVIF outputs; PNG"),
    ("equalize", ["--color", "lab", "--method", "skimage"], "--color lab"),
    ("equalize", ["--format", "png"], "--format is for -o -"),
    ("exact", ["--filters", "0"], "--filters"),
    ("compare", ["--clip-limit", "-2"], "--clip-limit"),
    ("equalize", ["--mask", "no-such-mask.png"], "--mask 'no-such-mask.png' does not exist"),
    ("match", ["--reference", "no-such-reference.png"], "--reference 'no-such-reference.png' does not exist"),
]


@pytest.mark.parametrize(("command", "options", "words"), BAD_OPTIONS)
def test_bad_options_exit_2_with_the_commands_usage_before_any_file_is_touched(tmp_path, command, options, words):
    missing = tmp_path / "missing.png"  # an unreadable input: a usage error must come first
    done = run(command, missing, "-o", tmp_path / "out" / "x.png", *options)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"usage: histeq {command} ") and f"histeq {command}: error:" in done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no output folder made, nothing written


def test_an_unknown_option_shows_the_subcommands_usage(grey, tmp_path):
    done = run("equalize", grey, "-o", tmp_path / "x.png", "--clip-limit", "2")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: histeq equalize ") and "COMMAND" not in done.stderr
    assert "unrecognized arguments: --clip-limit 2" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_bad_output_suffix_and_stream_combinations_are_usage_errors(grey, tmp_path):
    done = run("equalize", grey, "-o", tmp_path / "x.xyz")
    assert done.returncode == 2 and "unsupported suffix '.xyz'" in done.stderr
    done = run("equalize", grey, grey, "-o", "-")
    assert done.returncode == 2 and "a batch needs an output folder" in done.stderr
    done = run("equalize", "-", "--suffix", "-eq")
    assert done.returncode == 2 and "--suffix" in done.stderr
    done = run("equalize", grey, "--suffix", "a/b")
    assert done.returncode == 2 and "no folders" in done.stderr
    done = run("equalize", grey)
    assert done.returncode == 2 and "one of the arguments -o/--output --suffix is required" in done.stderr


def test_messages_name_options_not_python_parameters(grey, tmp_path):
    figure = tmp_path / "figure.png"
    assert run("compare", grey, "-o", figure, "--methods", "opencv").returncode == 0
    done = run("compare", grey, "-o", figure, "--methods", "opencv")
    assert done.returncode == 1 and "use --force to replace it" in done.stderr
    assert "overwrite" not in done.stderr
    done = run("clahe", grey, "-o", tmp_path / "t.png", "--tile-grid", "1000", "8")  # too many for this image
    assert done.returncode == 1 and "--tile-grid" in done.stderr and "tile_grid" not in done.stderr
    done = run("equalize", grey, "-o", tmp_path / "big.png", "--max-pixels", "100")
    assert done.returncode == 1 and "(--max-pixels)" in done.stderr and "max_pixels" not in done.stderr


def test_one_file_creates_its_output_folders(grey, tmp_path):
    output = tmp_path / "new" / "dir" / "x.png"
    done = run("equalize", grey, "-o", output)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(read_image(output).shape, read_image(grey).shape)
    figure = tmp_path / "figures" / "deep" / "f.png"
    done = run("compare", grey, "-o", figure, "--methods", "opencv")
    assert done.returncode == 0 and figure.exists(), done.stderr
