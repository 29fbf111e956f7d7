"""Video files through PyAV and ``histeq video``: real encoded files (made with
PyAV in temporary folders), frame count, frame rate, timestamps, audio and
subtitles kept, the Y plane equalized exactly (lossless FFV1), image folders,
and the failures: no PyAV, unreadable files, interrupted writes."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import histeq
from histeq.cli import main

av = pytest.importorskip("av")
video_io = pytest.importorskip("histeq.io.video")

WIDTH, HEIGHT, FRAMES, RATE = 64, 48, 30, 25


def make_clip(path: Path, *, audio: bool = True, codec: str = "libx264", rate: int = RATE) -> None:
    """A small clip: a low-contrast background, a bright block in frames
    10-19; with a mono AAC track as long as the video."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=rate)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if audio:
            sound = out.add_stream("aac", rate=8000)
            sound.layout = "mono"
        for t in range(FRAMES):
            rgb = rng.integers(90, 130, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)
            if 10 <= t < 20:
                rgb[10:30, 30:] = 240
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = t
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio:
            samples = (np.sin(np.arange(8000 * FRAMES // rate) / 5) * 1000).astype(np.int16)[None]
            chunk = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            chunk.sample_rate, chunk.pts = 8000, 0
            out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))


def read_clip(path: Path) -> dict:
    """What a file holds: its streams, the video's Y planes, timestamps, rate."""
    with av.open(str(path)) as container:
        streams = [s.type for s in container.streams]
        video = container.streams.video[0]
        rate = video.average_rate
        audio_packets = sum(1 for p in container.demux(audio=0) if p.size) if container.streams.audio else 0
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        seconds = [float(f.pts * f.time_base) for f in frames]
        luma = np.stack([np.frombuffer(f.planes[0], np.uint8).reshape(f.height, -1)[:, : f.width] for f in frames])
    return {"streams": streams, "rate": rate, "seconds": seconds, "luma": luma, "audio_packets": audio_packets}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    make_clip(path)
    return path


def test_command_line_keeps_frames_rate_timestamps_and_audio(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    assert main(["video", str(clip), "-o", str(output)]) == 0
    before, after = read_clip(clip), read_clip(output)
    assert after["streams"] == ["video", "audio"]
    assert len(after["seconds"]) == FRAMES
    assert after["rate"] == Fraction(RATE)
    assert after["seconds"] == pytest.approx(before["seconds"], abs=1e-9)
    assert after["audio_packets"] == before["audio_packets"]
    with av.open(str(output)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.video[0].codec_context.color_range == 2  # full range: equalized Y spans 0..255
    assert not list(tmp_path.glob(".histeq-*"))


def test_lossless_output_is_the_equalized_y_plane(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mkv"
    arguments = ["video", str(clip), "-o", str(output), "--codec", "ffv1", "--smoothing", "10", "--lookahead", "4"]
    assert main(arguments) == 0
    expected = histeq.equalize_video(read_clip(clip)["luma"], smoothing=10, lookahead=4)
    np.testing.assert_array_equal(read_clip(output)["luma"], expected)


def test_long_videos_load_the_kernels_while_they_start(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from histeq.cli import video as video_command

    monkeypatch.setattr(video_command, "_LONG_VIDEO_PIXELS", 0)  # this clip counts as long
    output = tmp_path / "out.mkv"
    assert main(["video", str(clip), "-o", str(output), "--codec", "ffv1"]) == 0
    np.testing.assert_array_equal(read_clip(output)["luma"], histeq.equalize_video(read_clip(clip)["luma"]))


def test_clahe_in_a_colour_space(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mkv"
    arguments = ["video", str(clip), "-o", str(output), "--operation", "clahe", "--clip-limit", "2", "--color", "lab"]
    assert main([*arguments, "--tile-grid", "2", "3", "--preset", "ultrafast", "--crf", "30"]) == 0
    assert len(read_clip(output)["seconds"]) == FRAMES


def test_float_methods_are_written_as_levels(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mkv"
    assert main(["video", str(clip), "-o", str(output), "--method", "skimage", "--codec", "ffv1"]) == 0
    luma = read_clip(clip)["luma"]
    expected = np.rint(histeq.equalize_video(luma, method="skimage") * 255).astype(np.uint8)
    np.testing.assert_array_equal(read_clip(output)["luma"], expected)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command to add subtitles")
def test_subtitles_are_copied(clip: Path, tmp_path: Path) -> None:
    subtitles = tmp_path / "subs.srt"
    subtitles.write_text("1\n00:00:00,000 --> 00:00:00,800\nhello\n\n2\n00:00:00,800 --> 00:00:01,200\nworld\n")
    source = tmp_path / "with-subs.mkv"
    command = ["ffmpeg", "-v", "error", "-i", str(clip), "-i", str(subtitles), "-map", "0", "-map", "1", "-c", "copy"]
    subprocess.run([*command, str(source)], check=True)
    output = tmp_path / "out.mkv"
    assert main(["video", str(source), "-o", str(output)]) == 0
    with av.open(str(output)) as container:
        assert [s.type for s in container.streams] == ["video", "audio", "subtitle"]
        texts = [bytes(p) for p in container.demux(subtitles=0) if p.size]
    assert texts == [b"hello", b"world"]


def test_image_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frames = rng.integers(60, 100, size=(12, 20, 24), dtype=np.uint8)
    frames[4:8, 5:15, 5:15] = 250
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, frame in enumerate(frames):  # 0.png .. 11.png: natural order, not 0, 1, 10, 11, 2
        histeq.io.write_image(folder / f"{t}.png", frame)
    output = tmp_path / "out"
    assert main(["video", str(folder), "-o", str(output), "--smoothing", "5"]) == 0
    written = np.stack([histeq.io.read_image(output / f"{t}.png") for t in range(len(frames))])
    np.testing.assert_array_equal(written, histeq.equalize_video(frames, smoothing=5))
    assert main(["video", str(folder), "-o", str(output)]) == 1  # outputs exist
    rgb = tmp_path / "rgb"
    rgb.mkdir()
    for t in range(3):
        histeq.io.write_image(rgb / f"f{t}.png", np.repeat(frames[t][..., None], 3, axis=-1))
    assert main(["video", str(rgb), "-o", str(tmp_path / "rgb-out"), "--operation", "clahe"]) == 0
    expected = histeq.equalize_video(
        np.repeat(frames[:3, ..., None], 3, axis=-1), operation="clahe", channel_axis=-1, color="lab"
    )
    np.testing.assert_array_equal(histeq.io.read_image(tmp_path / "rgb-out" / "f2.png"), expected[2])


def test_image_folder_of_changing_frames(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    histeq.io.write_image(folder / "a.png", np.zeros((8, 8), np.uint8))
    histeq.io.write_image(folder / "b.png", np.zeros((8, 9), np.uint8))
    assert main(["video", str(folder), "-o", str(tmp_path / "out")]) == 1
    assert "b.png: frame 1 has shape (8, 9)" in capsys.readouterr().err


def test_without_pyav(clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av now raises ImportError
    assert main(["video", str(clip), "-o", str(tmp_path / "out.mp4")]) == 1
    assert 'pip install "histeq[video]"' in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_bad_files_and_options(tmp_path: Path, clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 10)
    assert main(["video", str(garbage), "-o", str(tmp_path / "out.mp4")]) == 1
    assert "cannot read" in capsys.readouterr().err
    for arguments, words in [
        (["--codec", "nope"], "codec 'nope' is not a video encoder"),
        (["--clip-limit", "2"], "options of --operation clahe"),
        (["--codec-option", "crf"], "KEY=VALUE"),
    ]:
        assert main(["video", str(clip), "-o", str(tmp_path / "out.mp4"), *arguments]) == 1
        assert words in capsys.readouterr().err
    for arguments, words in [
        (["--smoothing", "-1"], "--smoothing: must be finite and at least 0"),
        (["--scene-cut", "nan"], "--scene-cut: must be finite and at least 0"),
        (["--lookahead", "-2"], "--lookahead: must be at least 0 frames"),
    ]:
        with pytest.raises(SystemExit) as usage:  # a usage error, before any file is read
            main(["video", str(clip), "-o", str(tmp_path / "out.mp4"), *arguments])
        assert usage.value.code == 2
        assert words in capsys.readouterr().err
    assert main(["video", str(clip), "-o", str(tmp_path / "out.gif")]) == 1
    assert "video files must end in" in capsys.readouterr().err
    assert not list(tmp_path.glob("out*")) and not list(tmp_path.glob(".histeq-*"))


def test_a_failure_midway_leaves_no_output(clip: Path, tmp_path: Path) -> None:
    def failing(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for t, frame in enumerate(frames):
            if t == 12:
                raise KeyboardInterrupt  # what Ctrl-C (and SIGTERM, in the command) raises
            yield frame

    with pytest.raises(KeyboardInterrupt):
        video_io.transcode(clip, tmp_path / "out.mp4", failing)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("when", ["starting", "waiting"])
def test_an_interrupt_waits_for_the_decoding_thread(clip: Path, tmp_path: Path, when: str) -> None:
    # Ctrl-C while the decoding thread starts, or a second one while the
    # encoding side waits for it to end: the containers it reads are closed
    # only once it has ended (closed under it, FFmpeg crashed: SIGSEGV in
    # av_read_frame), and the interrupt comes after.
    start = threading.Thread.start

    def interrupted_start(self: threading.Thread) -> None:
        start(self)
        if self.name == "histeq-decode" and when == "starting":
            signal.raise_signal(signal.SIGINT)

    stopping, sent = threading.Event(), threading.Event()

    def slow(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            time.sleep(0.01)
            if stopping.is_set():  # ends only well after the second interrupt has been sent
                sent.wait(10)
                time.sleep(0.1)
            yield frame

    def interrupt_main() -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        sent.set()

    def progress() -> None:  # on the encoding side, the decoding thread busy
        if when == "waiting":
            stopping.set()
            threading.Timer(0.01, interrupt_main).start()  # while the encoding side waits for the thread
            raise KeyboardInterrupt

    with mock.patch.object(threading.Thread, "start", interrupted_start), pytest.raises(KeyboardInterrupt):
        video_io.transcode(clip, tmp_path / "out.mp4", slow, progress=progress)
    assert not [t for t in threading.enumerate() if t.name == "histeq-decode"]  # ended before the interrupt came
    assert list(tmp_path.iterdir()) == []


def test_processing_that_loses_frames(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(video_io.VideoError, match="returned 3 frames for 30"):
        video_io.transcode(clip, tmp_path / "out.mp4", lambda frames: list(frames)[:3])
    assert list(tmp_path.iterdir()) == []


def test_scene_cut_off_and_variable_rate(tmp_path: Path) -> None:
    source = tmp_path / "vfr.mkv"
    with av.open(str(source), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
        for t, ms in enumerate([0, 40, 100, 110, 300, 333]):
            frame = av.VideoFrame.from_ndarray(np.full((HEIGHT, WIDTH, 3), 50 + 20 * t, np.uint8), format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    output = tmp_path / "out.mkv"
    assert main(["video", str(source), "-o", str(output), "--scene-cut", "off", "--codec", "ffv1"]) == 0
    assert read_clip(output)["seconds"] == pytest.approx([0, 0.04, 0.1, 0.11, 0.3, 0.333])


def test_sigterm_midway_leaves_no_output(tmp_path: Path) -> None:
    source = tmp_path / "long.mp4"
    with av.open(str(source), "w") as out:  # long enough to be caught while encoding
        video = out.add_stream("libx264", rate=RATE, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        noise = np.random.default_rng(2).integers(0, 256, size=(8, 240, 320, 3), dtype=np.uint8)
        for t in range(400):
            frame = av.VideoFrame.from_ndarray(noise[t % 8], format="rgb24")
            frame.pts = t
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    folder = tmp_path / "out"
    folder.mkdir()
    command = [sys.executable, "-m", "histeq", "video", str(source), "-o", str(folder / "out.mp4")]
    process = subprocess.Popen([*command, "--preset", "veryslow"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not list(folder.glob(".histeq-*")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # writing has begun once the temporary file exists
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        process.kill()
        _, errors = process.communicate()
    assert b"terminated" in errors
    assert list(folder.iterdir()) == []
