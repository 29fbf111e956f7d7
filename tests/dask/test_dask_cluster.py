"""The Dask operations on the processes scheduler and on a real
``dask.distributed.LocalCluster`` of two worker processes: the tasks (blocks,
binnings, plans) travel between processes and the results stay bit-identical."""

from __future__ import annotations

import numpy as np
import pytest
from dask_support import assert_same, image_of

import histeq

dask = pytest.importorskip("dask")  # the dask extra
da = pytest.importorskip("dask.array")

pytestmark = pytest.mark.filterwarnings("ignore")  # the cluster's own warnings (ports, resource trackers)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _cases() -> list[tuple[np.ndarray, dict, tuple]]:
    floats = image_of("float32", (24, 18, 3), 4)
    words = image_of("uint16", (24, 18), 5)
    return [
        (floats, {"channel_axis": -1, "mask": floats[..., 0] > -1}, (7, 5, 2)),
        (words, {"method": "matlab", "batch_axis": 0}, (5, 9)),
        (image_of("int32", (30, 20), 6), {"nbins": 33}, (11, 6)),
    ]


def test_distributed_equals_numpy(client) -> None:
    for image, options, chunks in _cases():
        expected = histeq.equalize(image, **options)
        assert_same(expected, client.compute(histeq.equalize(da.from_array(image, chunks=chunks), **options)).result())
    image = _cases()[0][0]
    reference = image_of("uint16", (9, 7, 3), 8)
    lazy = histeq.match_histograms(da.from_array(image, chunks=7), da.from_array(reference, chunks=4), channel_axis=-1)
    assert_same(histeq.match_histograms(image, reference, channel_axis=-1), client.compute(lazy).result())
    words = image_of("uint16", (40, 33), 9)
    lazy = histeq.clahe(da.from_array(words, chunks=(9, 14)), clip_limit=2.0, tile_grid=(3, 4))
    assert_same(histeq.clahe(words, clip_limit=2.0, tile_grid=(3, 4)), client.compute(lazy).result())
    with dask.config.set(scheduler=client):
        assert_same(
            tuple(histeq.histogram(image, channel_axis=2)),
            tuple(histeq.histogram(da.from_array(image, chunks=5), channel_axis=2)),
        )


def test_processes_scheduler_equals_numpy() -> None:
    image, options, chunks = _cases()[0]
    with dask.config.set(scheduler="processes", num_workers=2):
        got = histeq.equalize(da.from_array(image, chunks=chunks), **options).compute()
    assert_same(histeq.equalize(image, **options), got)


def test_command_line_on_the_cluster(client, tmp_path) -> None:
    zarr = pytest.importorskip("zarr")
    from histeq.cli import main

    data = image_of("uint16", (50, 40), 11)
    source = zarr.create_array(str(tmp_path / "in.zarr"), shape=data.shape, chunks=(16, 16), dtype=data.dtype)
    source[...] = data
    address = client.scheduler.address
    assert main(["clahe", str(tmp_path / "in.zarr"), "-o", str(tmp_path / "out.zarr"), "--scheduler", address]) == 0
    assert main(["equalize", str(tmp_path / "in.zarr"), "--suffix", "-eq", "--scheduler", address]) == 0
    assert_same(histeq.equalize(data), zarr.open_array(str(tmp_path / "in-eq.zarr"), mode="r")[...])
    assert zarr.open_array(str(tmp_path / "out.zarr"), mode="r").shape == data.shape
