"""The command line on Zarr stores (v2, v3, OME-Zarr) and TIFFs read through
tifffile's Zarr store: results equal the in-memory operations (and the command
line's own file results), formats, chunks and metadata are kept, and no
half-written output is ever left."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dask_support import image_of

import histeq
from histeq.cli import main

pytest.importorskip("dask.array")  # the dask extra

zarr = pytest.importorskip("zarr")
tifffile = pytest.importorskip("tifffile")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _array(path: Path, data: np.ndarray, chunks: tuple[int, ...], fmt: int) -> None:
    array = zarr.create_array(str(path), shape=data.shape, chunks=chunks, dtype=data.dtype, zarr_format=fmt)
    array[...] = data
    array.attrs["note"] = "kept"


@pytest.mark.parametrize("fmt", [2, 3])
def test_equalize_zarr_to_zarr_keeps_format_chunks_and_attributes(tmp_path: Path, fmt: int) -> None:
    data = image_of("uint16", (70, 45), 1)
    _array(tmp_path / "in.zarr", data, (16, 20), fmt)
    assert main(["equalize", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "out.zarr"), "--method", "textbook"]) == 0
    out = zarr.open(str(tmp_path / "out.zarr"), mode="r")
    assert out.metadata.zarr_format == fmt and out.chunks == (16, 20) and out.attrs["note"] == "kept"
    np.testing.assert_array_equal(out[...], histeq.equalize(data, method="textbook"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.zarr", "out.zarr"]  # no temporary store left


def _ome(path: Path, data: np.ndarray, fmt: int) -> None:
    group = zarr.open_group(str(path), mode="w", zarr_format=fmt)
    multiscales = [
        {
            "version": "0.4" if fmt == 2 else "0.5",
            "axes": [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
            "datasets": [
                {"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": [1, 2**level, 2**level]}]}
                for level in range(3)
            ],
        }
    ]
    group.attrs.update({"multiscales": multiscales} if fmt == 2 else {"ome": {"multiscales": multiscales}})
    for level in range(3):
        step = 2**level
        group.create_array(str(level), data=data[:, ::step, ::step].copy(), chunks=(1, 16, 16))


@pytest.mark.parametrize("fmt", [2, 3])
def test_ome_zarr_full_resolution_and_rebuilt_pyramid(tmp_path: Path, fmt: int) -> None:
    data = image_of("uint8", (2, 50, 37), 2)
    _ome(tmp_path / "in.ome.zarr", data, fmt)
    assert main(["clahe", str(tmp_path / "in.ome.zarr"), "-o", str(tmp_path / "out.zarr"), "--clip-limit", "2"]) == 0
    out = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    attributes = dict(out.attrs) if fmt == 2 else dict(out.attrs)["ome"]
    assert attributes["multiscales"][0]["type"] == "nearest"
    assert attributes["multiscales"][0]["axes"][0] == {"name": "c", "type": "channel"}
    full = out["0"][...]
    np.testing.assert_array_equal(full, histeq.clahe(data, clip_limit=2.0, channel_axis=0))
    for level in (1, 2):
        step = 2**level
        assert out[str(level)].chunks == (1, 16, 16)
        np.testing.assert_array_equal(out[str(level)][...], full[:, ::step, ::step])


def test_rgb_tiff_in_colour_equals_the_file_command(tmp_path: Path) -> None:
    data = image_of("uint8", (60, 50, 3), 10)
    tifffile.imwrite(tmp_path / "in.tif", data, photometric="rgb", tile=(16, 16))
    for command, color in (("equalize", "ycrcb"), ("clahe", "lab")):
        options = ["--color", color]
        assert main([command, str(tmp_path / "in.tif"), "-o", str(tmp_path / f"{command}.tif"), *options]) == 0
        assert main([command, str(tmp_path / "in.tif"), "-o", str(tmp_path / f"{command}.zarr"), *options]) == 0
        expected = tifffile.imread(tmp_path / f"{command}.tif")
        np.testing.assert_array_equal(zarr.open(str(tmp_path / f"{command}.zarr"), mode="r")[...], expected)


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_tiff_through_zarr_equals_the_file_command(tmp_path: Path, dtype: str) -> None:
    data = image_of(dtype, (90, 70), 3)
    tifffile.imwrite(tmp_path / "in.tif", data, tile=(32, 32))
    options = ["--clip-limit", "3", "--tile-grid", "3", "4"]
    assert main(["clahe", str(tmp_path / "in.tif"), "-o", str(tmp_path / "file.tif"), *options]) == 0
    assert main(["clahe", str(tmp_path / "in.tif"), "-o", str(tmp_path / "lazy.zarr"), *options]) == 0
    expected = tifffile.imread(tmp_path / "file.tif")
    np.testing.assert_array_equal(zarr.open(str(tmp_path / "lazy.zarr"), mode="r")[...], expected)


def test_skimage_clahe_of_a_zarr_equals_the_file_command(tmp_path: Path) -> None:
    data = image_of("uint16", (64, 48), 9)
    tifffile.imwrite(tmp_path / "in.tif", data)
    _array(tmp_path / "in.zarr", data, (20, 48), 3)
    options = ["--method", "skimage", "--clip-limit", "0.02", "--kernel-size", "16"]
    assert main(["clahe", str(tmp_path / "in.tif"), "-o", str(tmp_path / "file.tif"), *options]) == 0
    assert main(["clahe", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "lazy.zarr"), *options]) == 0
    expected = tifffile.imread(tmp_path / "file.tif")
    np.testing.assert_array_equal(zarr.open(str(tmp_path / "lazy.zarr"), mode="r")[...], expected)


def test_existing_output_needs_force_and_is_replaced_whole(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = image_of("uint8", (20, 20), 4)
    _array(tmp_path / "in.zarr", data, (8, 8), 3)
    _array(tmp_path / "out.zarr", np.zeros((3, 3), np.uint8), (3, 3), 3)
    assert main(["equalize", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "out.zarr")]) == 1
    assert "use --force" in capsys.readouterr().err
    assert zarr.open(str(tmp_path / "out.zarr"), mode="r").shape == (3, 3)
    assert main(["equalize", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "out.zarr"), "--force"]) == 0
    np.testing.assert_array_equal(zarr.open(str(tmp_path / "out.zarr"), mode="r")[...], histeq.equalize(data))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.zarr", "out.zarr"]


def test_interrupted_run_leaves_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import histeq.io.zarr as zarr_io

    _array(tmp_path / "in.zarr", image_of("uint8", (40, 40), 5), (8, 8), 3)

    def interrupted(temporary: Path, output: Path) -> None:
        assert (temporary / "zarr.json").is_file()  # every block written, not yet in place
        raise KeyboardInterrupt

    monkeypatch.setattr(zarr_io, "_replace", interrupted)
    assert main(["equalize", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "out.zarr")]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.zarr"]


def test_a_killed_run_s_temporary_store_is_removed_by_the_next(tmp_path: Path) -> None:
    # A process killed (SIGKILL: no clean-up of its own) while writing its store.
    child = (
        "import os, signal, sys, zarr; from pathlib import Path; from histeq.io.safe_write import temporary_path\n"
        "zarr.create_array(str(temporary_path(Path(sys.argv[1]), '.zarr')), shape=(4,), dtype='u1')\n"
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = subprocess.run([sys.executable, "-c", child, str(tmp_path)], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert len([p for p in tmp_path.iterdir() if p.name.startswith(".histeq-")]) == 1
    _array(tmp_path / "in.zarr", image_of("uint8", (20, 20), 6), (8, 8), 3)
    assert main(["equalize", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "out.zarr")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.zarr", "out.zarr"]


def test_suffix_mask_scheduler_and_progress(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from histeq.cli.zarr_jobs import _block_bar

    data = image_of("float32", (30, 24), 6)
    mask = data > 0
    _array(tmp_path / "in.zarr", data, (7, 24), 2)
    _array(tmp_path / "mask.zarr", mask.astype(np.uint8), (30, 5), 2)
    command = ["equalize", str(tmp_path / "in.zarr"), "--suffix", "-eq", "--mask", str(tmp_path / "mask.zarr")]
    assert main([*command, "--scheduler", "synchronous"]) == 0
    out = zarr.open(str(tmp_path / "in-eq.zarr"), mode="r")
    np.testing.assert_array_equal(out[...], histeq.equalize(data, mask=mask))
    import dask.array as da

    with _block_bar(True):
        da.store([da.ones((10, 10), chunks=5)], [np.empty((10, 10))], lock=False)
    assert "4/4" in capsys.readouterr().err


def test_usage_errors_and_the_missing_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    _array(tmp_path / "in.zarr", image_of("uint8", (10, 10), 7), (5, 5), 3)
    source, target = str(tmp_path / "in.zarr"), str(tmp_path / "out.zarr")
    with pytest.raises(SystemExit) as exit_status:
        main(["equalize", source, "-o", target, "--plot"])
    assert exit_status.value.code == 2
    assert main(["equalize", source, "-o", target, "--color", "ycrcb"]) == 1
    assert "names no channel axis" in capsys.readouterr().err
    assert main(["equalize", source, "-o", target, "--scheduler", "carrier-pigeon"]) == 1
    assert "--scheduler 'carrier-pigeon'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "zarr", None)  # as without the extra
    assert main(["equalize", source, "-o", target]) == 1
    assert 'pip install "histeq[dask]"' in capsys.readouterr().err
    assert not (tmp_path / "out.zarr").exists()
