"""equalize and histogram of Dask arrays: bit-identical to the numpy call on
the computed array, for any chunking, dtype, method and option."""

from __future__ import annotations

import numpy as np
import pytest
from dask_support import DTYPES, assert_same, chunkings, image_of, outcome
from hypothesis import given, settings
from hypothesis import strategies as st

import histeq
from histeq._core.methods import EQUALIZE_METHODS

dask = pytest.importorskip("dask")  # the dask extra
da = pytest.importorskip("dask.array")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

METHODS = tuple(EQUALIZE_METHODS)
SHAPE = (9, 11, 3)


@pytest.fixture(autouse=True)
def threads():
    with dask.config.set(scheduler="threads"):
        yield


@st.composite
def cases(draw: st.DrawFn) -> dict:
    dtype = draw(st.sampled_from(DTYPES))
    image = image_of(dtype, SHAPE, draw(st.integers(0, 1000)))
    options: dict = {}
    layout = draw(st.sampled_from(["grey", "channels", "batch", "batch-channels"]))
    if layout in ("channels", "batch-channels"):
        options["channel_axis"] = draw(st.sampled_from([2, -1]))
    if layout in ("batch", "batch-channels"):
        options["batch_axis"] = draw(st.sampled_from([0, (0,), 1] if layout == "batch-channels" else [0, 2, (0, 2)]))
    mask_kind = draw(st.sampled_from(["none", "numpy", "dask", "spatial", "empty"]))
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    spatial = mask_kind == "spatial" and "channel_axis" in options and "batch_axis" not in options
    mask_shape = SHAPE[:2] if spatial else SHAPE
    if mask_kind != "none":
        mask = rng.random(mask_shape) < (0.0 if mask_kind == "empty" else 0.6)
        options["mask"] = mask
    return {"image": image, "options": options, "chunks": draw(chunkings(SHAPE)), "dask_mask": mask_kind == "dask"}


def _lazy(case: dict) -> tuple[object, dict]:
    options = dict(case["options"])
    if case["dask_mask"]:
        mask = options["mask"]
        options["mask"] = da.from_array(mask, chunks=tuple(max(1, n // 2) for n in mask.shape))
    return da.from_array(case["image"], chunks=case["chunks"]), options


@settings(max_examples=30)
@given(cases(), st.sampled_from(METHODS), st.sampled_from([None, None, 7]))
def test_equalize_equals_numpy(case: dict, method: str, nbins: int | None) -> None:
    image, lazy_options = _lazy(case)
    expected = outcome(lambda: histeq.equalize(case["image"], method=method, nbins=nbins, **case["options"]))
    got = outcome(lambda: histeq.equalize(image, method=method, nbins=nbins, **lazy_options))
    if isinstance(got, tuple) and not isinstance(expected, tuple) and "maps whole frames" in str(got[1]):
        assert EQUALIZE_METHODS[method].frames is not None  # the image tools' colour frames: refused, said so
        return
    assert_same(expected, got)


@settings(max_examples=30)
@given(cases(), st.sampled_from(["uniform", ("gaussian", 0.3, 0.1), np.array([1.0, 0.0, 3.0, 2.0])]))
def test_target_equals_numpy(case: dict, target: object) -> None:
    image, lazy_options = _lazy(case)
    expected = outcome(lambda: histeq.equalize(case["image"], target=target, **case["options"]))
    assert_same(expected, outcome(lambda: histeq.equalize(image, target=target, **lazy_options)))


@settings(max_examples=30)
@given(cases(), st.sampled_from([None, 5]), st.booleans())
def test_histogram_equals_numpy(case: dict, nbins: int | None, ranged: bool) -> None:
    image, lazy_options = _lazy(case)
    value_range = None
    if ranged:
        value_range = (-1.5, 2.0) if case["image"].dtype.kind == "f" else (int(case["image"].min()), 4000)
    expected = outcome(lambda: histeq.histogram(case["image"], nbins=nbins, value_range=value_range, **case["options"]))
    got = outcome(lambda: histeq.histogram(image, nbins=nbins, value_range=value_range, **lazy_options))
    if isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[0], np.ndarray):
        expected, got = tuple(expected), tuple(got)  # type: ignore[arg-type]
    assert_same(expected, got)


def test_one_chunk_and_single_pixels() -> None:
    image = image_of("uint16", (13, 7), 3)
    expected = histeq.equalize(image)
    for chunks in ((13, 7), (1, 1), ((5, 8), (1, 6))):
        assert_same(expected, histeq.equalize(da.from_array(image, chunks=chunks)).compute())


def test_float_infinity_raises_like_numpy() -> None:
    image = image_of("float32", (6, 6), 1)
    image[4, 5] = np.inf
    with pytest.raises(ValueError, match="1 infinite value"):
        histeq.equalize(image)
    with pytest.raises(ValueError, match="1 infinite value"):
        histeq.equalize(da.from_array(image, chunks=2)).compute()


def test_result_is_lazy_with_the_input_chunks() -> None:
    calls = []

    def record(block: np.ndarray) -> np.ndarray:
        calls.append(block.shape)
        return block

    image = image_of("uint8", (20, 30), 5)
    source = da.from_array(image, chunks=(7, 11)).map_blocks(record, meta=np.empty((0, 0), np.uint8))
    result = histeq.equalize(source, method="textbook")
    histogram_less = histeq.equalize(source, mask=source > 3)
    assert calls == [] and result.chunks == source.chunks and result.dtype == np.uint8
    assert_same(histeq.equalize(image, method="textbook"), result.compute())
    assert calls, "the blocks are read when the result is computed"
    assert_same(histeq.equalize(image, mask=image > 3), histogram_less.compute())


def test_histogram_computes_only_the_reductions() -> None:
    from dask.callbacks import Callback

    keys: list[str] = []

    class Keys(Callback):
        def _pretask(self, key, dsk, state):
            keys.append(key[0] if isinstance(key, tuple) else key)

    image = image_of("float32", (16, 10), 2)
    with Keys():
        counts, edges = histeq.histogram(da.from_array(image, chunks=5))
    assert type(counts) is np.ndarray and type(edges) is np.ndarray
    assert_same(tuple(histeq.histogram(image)), (counts, edges))
    stages = {key.split("-histeq")[0] for key in keys if "histeq-histogram" in key and not key.startswith("array")}
    assert stages <= {"extent", "extent-total", "extent-1", "binning", "count", "count-total", "count-1", "results"}
    assert "count" in stages and not any(key.startswith("histeq-histogram") for key in keys)


def test_errors_name_the_parameter() -> None:
    image = da.from_array(image_of("uint8", (8, 8), 0), chunks=4)
    with pytest.raises(TypeError, match="out is not available for a Dask array"):
        histeq.equalize(image, out=np.empty((8, 8), np.uint8))
    with pytest.raises(TypeError, match="mask must be a boolean array"):
        histeq.equalize(image, mask=da.zeros((8, 8), chunks=4))
    with pytest.raises(ValueError, match="mask must have the image's shape"):
        histeq.equalize(image, mask=da.zeros((8, 7), dtype=bool, chunks=4))
    with pytest.raises(TypeError, match="image has dtype bool"):
        histeq.equalize(image > 3)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        histeq.equalize(image[image > 3])
    frames = da.zeros((4, 4, 3), dtype=np.uint8, chunks=2)
    with pytest.raises(ValueError, match="maps whole frames"):
        histeq.equalize(frames, channel_axis=-1, method="ffmpeg")
    with pytest.raises(ValueError, match="maps whole frames"):
        histeq.equalize(frames[..., 0], method="ffmpeg:antibanding=strong")
    grey = image_of("uint8", (9, 7), 2)
    assert_same(
        histeq.equalize(grey, method="ffmpeg"),
        histeq.equalize(da.from_array(grey, chunks=4), method="ffmpeg").compute(),
    )


def test_exact_specification_says_it_needs_a_global_order() -> None:
    with pytest.raises(TypeError, match="one global order"):
        histeq.exact_specification(da.zeros((4, 4), dtype=np.uint8, chunks=2), target="uniform")


def test_import_histeq_imports_no_dask() -> None:
    import subprocess
    import sys

    code = "import sys, histeq; print(any(name.split('.')[0] in ('dask', 'zarr') for name in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_each_pass_reads_the_blocks_itself() -> None:
    # A block is read by every pass (extents, counts, map) and freed after it, never held from the
    # first pass to the map: memory stays at a few blocks for arrays larger than memory.
    reads: list[tuple[int, ...]] = []

    def read(block: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        if block_info is not None:
            reads.append(tuple(block_info[0]["chunk-location"]))
        return block

    for dtype, passes in (("uint8", 2), ("float32", 3)):
        reads.clear()
        image = image_of(dtype, (12, 10), 1)
        source = da.from_array(image, chunks=(4, 5)).map_blocks(read, meta=np.empty((0, 0), image.dtype))
        assert_same(histeq.equalize(image), histeq.equalize(source).compute())
        assert sorted(reads) == sorted([(i, j) for i in range(3) for j in range(2)] * passes)
