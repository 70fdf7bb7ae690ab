"""Ordinary uploads pass validation and come out described correctly."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from reelstack.media.ffmpeg import (
    Binaries,
    Container,
    Limits,
    find_binaries,
    make_job_folder,
    probe,
)
from reelstack.media.source.validate import MediaRefused

from .conftest import DEFAULT_LIMITS, ClipMaker, check

pytestmark = pytest.mark.slow

X264 = ("-c:v", "libx264", "-preset", "veryfast")
X265 = ("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none")
VP9 = ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")
AV1 = ("-c:v", "libsvtav1", "-preset", "12", "-svtav1-params", "log-level=0")


@pytest.mark.parametrize(
    ("name", "vcodec", "audio", "channels", "container", "video", "audio_codec"),
    [
        ("h264-aac.mp4", X264, ("-c:a", "aac"), 2, Container.MP4, "h264", "aac"),
        ("h264-51.mp4", X264, ("-c:a", "aac"), 6, Container.MP4, "h264", "aac"),
        ("hevc-opus.mkv", X265, ("-c:a", "libopus"), 2, Container.MATROSKA, "hevc", "opus"),
        (
            "hevc-ac3.mp4",
            (*X265, "-tag:v", "hvc1"),
            ("-c:a", "ac3"),
            6,
            Container.MP4,
            "hevc",
            "ac3",
        ),
        ("vp9-opus.webm", VP9, ("-c:a", "libopus"), 2, Container.MATROSKA, "vp9", "opus"),
        ("av1-aac.mp4", AV1, ("-c:a", "aac"), 2, Container.MP4, "av1", "aac"),
        ("av1-flac.mkv", AV1, ("-c:a", "flac"), 6, Container.MATROSKA, "av1", "flac"),
    ],
)
def test_common_uploads_are_accepted(
    name: str,
    vcodec: tuple[str, ...],
    audio: tuple[str, ...],
    channels: int,
    container: Container,
    video: str,
    audio_codec: str,
    job_dir: Path,
    binaries: Binaries,
    clips: ClipMaker,
) -> None:
    upload = clips.video(name, size="320x180", vcodec=vcodec, audio=audio, channels=channels)
    media = check(upload, job_dir, binaries)
    assert media.container is container
    assert media.video.codec_name == video
    assert media.display_size == (320, 180)
    assert media.duration_s == pytest.approx(3.0, abs=0.1)
    [sound] = media.probe.audio_streams
    assert (sound.codec_name, sound.channels) == (audio_codec, channels)
    # Later runs open the staged copy, under the pipeline's own name, the same way.
    assert media.source.path == job_dir / "source"
    assert media.source.container is container


def test_matroska_named_mp4_is_read_as_matroska(
    tmp_path: Path, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = tmp_path / "holiday.mp4"
    shutil.copyfile(clips.video("plain.mkv"), upload)
    media = check(upload, job_dir, binaries)
    assert media.container is Container.MATROSKA
    assert "matroska" in media.probe.format_name


def test_mkv_with_subtitles_and_mp4_with_cover_art_are_accepted(
    job_dir: Path, tmp_path: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    plain = clips.video("plain.mp4")
    subs = clips.make("subs.mkv", "-i", str(plain), "-i", str(srt), "-map", "0", "-map", "1")
    media = check(subs, job_dir, binaries)
    assert [s.codec_type for s in media.probe.streams] == ["video", "audio", "subtitle"]

    cover = clips.make("cover.png", "-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1")
    art = clips.make(
        "cover.mp4",
        *("-i", str(plain), "-i", str(cover), "-map", "0", "-map", "1", "-c", "copy"),
        *("-c:v:1", "png", "-disposition:v:1", "attached_pic"),
    )
    job2 = job_dir.parent / "second"
    job2.mkdir(mode=0o700)
    media = check(art, job2, binaries)
    assert media.video.codec_name == "h264"
    assert len(media.probe.video_streams) == 1


def test_portrait_video_is_measured_on_its_long_side(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = clips.video("portrait.mp4", size="180x320")
    media = check(
        upload,
        job_dir,
        binaries,
        dataclasses.replace(DEFAULT_LIMITS, max_width=320, max_height=180),
    )
    assert media.display_size == (180, 320)


def test_anamorphic_video_reports_its_display_size(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = clips.video("dvd.mkv", size="360x240", extra=("-aspect", "16:9"))
    media = check(upload, job_dir, binaries)
    assert media.display_size == (427, 240)


def test_probe_reads_headers_without_decoding(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    media = check(clips.video("plain.mp4"), job_dir, binaries)
    headers = probe(binaries.ffprobe, media.source, cwd=job_dir, limits=Limits(), decode=False)
    full = probe(binaries.ffprobe, media.source, cwd=job_dir, limits=Limits(), decode=True)
    assert headers.video is not None and full.video is not None
    assert (headers.video.width, headers.video.height) == (320, 240)
    # Only decoding tells the pixel format.
    assert full.video.pix_fmt == "yuv420p"
    assert headers.video.pix_fmt in ("", "unknown")


def test_system_ffmpeg_without_libvmaf_validates_the_same(
    tmp_path: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    system = shutil.which("ffmpeg")
    if system is None or Path(system).resolve() == binaries.ffmpeg:
        pytest.skip("no separate system ffmpeg")
    fallback = find_binaries(ffmpeg=system)
    good = clips.video("plain.mkv")
    whole = clips.video("six-True.mp4", seconds=6, extra=("-movflags", "+faststart"))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    first, second = (make_job_folder(tmp_path / "jobs") for _ in range(2))
    assert check(good, first, fallback).video.codec_name == "h264"
    with pytest.raises(MediaRefused) as caught:
        check(cut, second, fallback)
    assert caught.value.code == "truncated"
