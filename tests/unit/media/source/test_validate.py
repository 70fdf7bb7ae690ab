"""Validation rules that need no ffmpeg: header checks, refusal wording, settings, staging."""

from __future__ import annotations

import dataclasses
import os
from fractions import Fraction
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import read_group
from reelstack.errors import InvalidRequestError
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg.errors import FfmpegError
from reelstack.media.ffmpeg.options import Container
from reelstack.media.ffmpeg.probe import ProbeResult, StreamInfo
from reelstack.media.source.validate import (
    MediaLimits,
    MediaRefused,
    ValidatedMedia,
    _check_header,
    _refusal_from,
    stage_upload,
)
from tests.unit.media.defaults import DEFAULT_LIMITS

MP4 = "mov,mp4,m4a,3gp,3g2,mj2"


def video(**changes: object) -> StreamInfo:
    base = StreamInfo(0, "video", "h264", width=1920, height=1080, avg_frame_rate=Fraction(25))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def audio(index: int = 1, codec: str = "aac") -> StreamInfo:
    return StreamInfo(index, "audio", codec, channels=2)


def result(*streams: StreamInfo, duration: float | None = 60.0, fmt: str = MP4) -> ProbeResult:
    return ProbeResult(fmt, duration, 1000, None, streams, {})


def refusal(probe: ProbeResult, **limits: object) -> MediaRefused:
    with pytest.raises(MediaRefused) as caught:
        _check_header(probe, Container.MP4, dataclasses.replace(DEFAULT_LIMITS, **limits))  # type: ignore[arg-type]
    return caught.value


def test_a_normal_file_passes() -> None:
    _check_header(result(video(), audio()), Container.MP4, DEFAULT_LIMITS)


def test_refusals_name_their_reason() -> None:
    assert refusal(result(video(), fmt="matroska,webm")).code == "container"
    many = refusal(result(video(), *[audio(i) for i in range(1, 6)]), max_streams=4)
    assert (many.code, many.reason) == ("too_many_streams", "6 streams; at most 4")
    codec = refusal(result(video(codec_name="mpeg4")))
    assert codec.code == "codec" and "'mpeg4'" in codec.reason and "h264" in codec.reason
    assert refusal(result(video(), audio(codec="dts"))).code == "codec"
    assert refusal(result(video(), StreamInfo(2, "subtitle", "hdmv_pgs_subtitle"))).code == "codec"
    assert refusal(result(audio(0))).code == "no_video"
    assert refusal(result(video(width=0, height=0))).code == "corrupt"
    big = refusal(result(video(width=7680, height=4320)))
    assert big.code == "resolution" and "7680x4320" in big.reason
    assert refusal(result(video(), duration=None)).code == "corrupt"
    assert refusal(result(video(), duration=20000.0)).code == "too_long"
    assert refusal(result(video(), duration=0.04)).code == "too_short"
    assert str(big).startswith("upload refused (resolution): ")
    assert isinstance(big, InvalidRequestError)


def test_portrait_is_measured_on_its_long_side() -> None:
    _check_header(result(video(width=2160, height=3840)), Container.MP4, DEFAULT_LIMITS)
    assert refusal(result(video(width=2200, height=3840))).code == "resolution"


def test_cover_pictures_data_and_attachments_are_ignored() -> None:
    cover = StreamInfo(2, "video", "mjpeg", width=600, height=600, attached_pic=True)
    timecode = StreamInfo(3, "data", "bin_data")
    font = StreamInfo(4, "attachment", "ttf")
    _check_header(result(video(), audio(), cover, timecode, font), Container.MP4, DEFAULT_LIMITS)
    # A cover picture alone is no programme.
    assert refusal(result(cover)).code == "no_video"


def test_duration_may_come_from_the_video_stream() -> None:
    _check_header(result(video(duration_s=30.0), duration=None), Container.MP4, DEFAULT_LIMITS)


@pytest.mark.parametrize(
    ("stderr", "code", "words"),
    [
        ("[mov] moov atom not found\nInvalid data", "truncated", "moov"),
        ("[mpeg4 @ 0x1] Codec (mpeg4) not on whitelist 'h264'", "codec", "'mpeg4'"),
        ("number of streams exceeds max_streams parameter (40)", "too_many_streams", "streams"),
        ("Picture size 9000x9000 exceeds specified max pixel count", "resolution", "picture"),
        ("[matroska] File ended prematurely", "truncated", "cut short"),
        ("something odd\nInvalid data found when processing input", "corrupt", "Invalid data"),
    ],
)
def test_ffmpeg_errors_become_named_refusals(stderr: str, code: str, words: str) -> None:
    refused = _refusal_from(FfmpegError("ffprobe", 1, stderr), Container.MP4)
    assert refused.code == code and words in refused.reason


def test_limits_from_settings() -> None:
    config = settings.load(
        environ={
            "REELSTACK_MEDIA_MAX_BYTES": "1000",
            "REELSTACK_MEDIA_VIDEO_CODECS": "h264, AV1",
            "REELSTACK_MEDIA_MAX_CPU_S": "30",
        }
    )
    limits = read_group(config, MediaLimits, media_settings.LIMITS)
    assert limits.max_bytes == 1000
    assert limits.video_codecs == ("h264", "av1")
    assert limits.run.cpu_s == 30
    assert limits.containers == ("mp4", "matroska")


def test_safe_input_from_limits() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_width=1920, max_height=1080, max_streams=4)
    src = limits.safe_input(Path("/j/source"), Container.MATROSKA, ("av1", "opus"))
    assert src.decoders == ("libdav1d", "av1", "libaom-av1", "opus", "libopus")
    assert src.max_streams > 4  # ffmpeg's cap sits above ours, so ours can name the count
    assert src.max_pixels >= 1920 * 1080


def test_display_size_applies_aspect_and_rotation() -> None:
    limits = DEFAULT_LIMITS
    src = limits.safe_input(Path("/j/source"), Container.MP4, ("h264",))

    def media(stream: StreamInfo) -> ValidatedMedia:
        return ValidatedMedia(src, result(stream), 1000)

    assert media(video()).display_size == (1920, 1080)
    assert media(video(rotation=-90)).display_size == (1080, 1920)
    dvd = video(width=720, height=480, sample_aspect_ratio=Fraction(32, 27))
    assert media(dvd).display_size == (853, 480)


def test_stage_upload_links_under_a_fixed_name(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir(mode=0o700)
    upload = tmp_path / "-rf %d http:x.mp4"
    upload.write_bytes(b"data")
    staged = stage_upload(upload, job)
    assert staged == (job / "source").resolve()
    assert staged.read_bytes() == b"data"
    assert os.path.samestat(staged.stat(), upload.stat())  # a hard link: no copy
