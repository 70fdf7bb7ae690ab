"""ffprobe's JSON into typed results, and libvmaf's log into a score."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from reelstack.media.ffmpeg.errors import FfmpegError
from reelstack.media.ffmpeg.probe import ProbeResult, parse_keyframe_times
from reelstack.media.ffmpeg.vmaf import parse_vmaf_log, read_vmaf_log

PROBE = {
    "streams": [
        {
            "index": 0, "codec_name": "h264", "codec_type": "video", "profile": "High",
            "width": 1920, "height": 1080, "pix_fmt": "yuv420p", "sample_aspect_ratio": "1:1",
            "avg_frame_rate": "24000/1001", "r_frame_rate": "24000/1001",
            "duration": "120.5", "nb_frames": "2889", "disposition": {"attached_pic": 0},
            "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}],
        },
        {
            "index": 1, "codec_name": "eac3", "codec_type": "audio", "channels": 6,
            "channel_layout": "5.1(side)", "sample_rate": "48000", "avg_frame_rate": "0/0",
            "tags": {"language": "eng", "DURATION": "00:02:00.480000000"},
        },
        {
            "index": 2, "codec_name": "mjpeg", "codec_type": "video", "width": 600,
            "height": 600, "disposition": {"attached_pic": 1},
        },
        {"index": 3, "codec_name": "bin_data", "codec_type": "data"},
    ],
    "format": {
        "format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "120.52", "size": "1000",
        "bit_rate": "N/A", "tags": {"major_brand": "isom"},
    },
}  # fmt: skip


def test_probe_result_from_json() -> None:
    result = ProbeResult.from_json(PROBE)
    assert result.format_name.startswith("mov")
    assert result.duration_s == 120.52 and result.size_bytes == 1000 and result.bit_rate is None
    video = result.video
    assert video is not None
    assert (video.width, video.height, video.rotation) == (1920, 1080, -90)
    assert video.fps == Fraction(24000, 1001)
    assert video.sample_aspect_ratio == 1
    [audio] = result.audio_streams
    assert (audio.channels, audio.sample_rate, audio.language) == (6, 48000, "eng")
    assert audio.avg_frame_rate is None
    assert audio.duration_s == pytest.approx(120.48)  # from the Matroska-style tag
    # The cover picture is not programme video.
    assert [s.index for s in result.video_streams] == [0]
    assert result.tags == {"major_brand": "isom"}


def test_probe_result_tolerates_missing_fields() -> None:
    result = ProbeResult.from_json({"streams": [{"codec_type": "video"}], "format": {}})
    assert result.duration_s is None
    assert result.video is not None and result.video.width == 0 and result.video.fps is None
    assert ProbeResult.from_json({}).video is None


def vmaf_log(scores: list[float], pooled: bool = True) -> dict[str, object]:
    data: dict[str, object] = {
        "frames": [{"frameNum": i, "metrics": {"vmaf": v}} for i, v in enumerate(scores)]
    }
    if pooled:
        data["pooled_metrics"] = {
            "vmaf": {"min": min(scores), "max": max(scores), "mean": sum(scores) / len(scores),
                     "harmonic_mean": 0.0}
        }  # fmt: skip
    return data


def test_vmaf_log_is_parsed() -> None:
    score = parse_vmaf_log(vmaf_log([90.0, 80.0, 100.0, 70.0]))
    assert score.mean == pytest.approx(85.0)
    assert score.minimum == 70.0 and score.frames == 4
    assert 70.0 <= score.p5 <= 80.0


def test_vmaf_log_without_pooled_figures_is_pooled_here() -> None:
    score = parse_vmaf_log(vmaf_log([50.0, 100.0], pooled=False))
    assert score.mean == pytest.approx(75.0)
    assert score.harmonic_mean == pytest.approx(2 / (1 / 51 + 1 / 101) - 1)


def test_missing_or_empty_vmaf_log_is_an_ffmpeg_error(tmp_path: Path) -> None:
    with pytest.raises(FfmpegError, match="no usable VMAF log"):
        read_vmaf_log(tmp_path / "absent.json")
    (tmp_path / "empty.json").write_text(json.dumps({"frames": []}))
    with pytest.raises(FfmpegError):
        read_vmaf_log(tmp_path / "empty.json")
    (tmp_path / "ok.json").write_text(json.dumps(vmaf_log([88.0])))
    assert read_vmaf_log(tmp_path / "ok.json").mean == 88.0


def test_keyframe_times_come_from_packet_flags() -> None:
    output = "0.000000,K__\n0.040000,___\n2.000000,K__\nN/A,K__\n1.000000,K_D\n"
    assert parse_keyframe_times(output) == [0.0, 1.0, 2.0]
