"""The argv builders: every input opened safely, nothing from the user in a filtergraph."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from reelstack.media.ffmpeg.commands import (
    decode_check_argv,
    ffprobe_argv,
    input_args,
    reference_argv,
    scale_filter,
    trial_encode_argv,
    video_encode_args,
    vmaf_argv,
)
from reelstack.media.ffmpeg.options import (
    Container,
    SafeInput,
    SampleSpan,
    VideoEncode,
    VmafOptions,
    decoders_for,
)

FFMPEG = Path("/opt/ffmpeg")
FFPROBE = Path("/usr/bin/ffprobe")
JOB = Path("/jobs/job-1")


def source(container: Container = Container.MP4, name: str = "source") -> SafeInput:
    return SafeInput(JOB / name, container, ("h264", "aac"))


def value_after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


@pytest.mark.parametrize(
    ("container", "demuxer"), [(Container.MP4, "mov"), (Container.MATROSKA, "matroska")]
)
def test_input_is_opened_with_forced_demuxer_and_file_protocol_only(
    container: Container, demuxer: str
) -> None:
    args = input_args(source(container))
    assert value_after(args, "-protocol_whitelist") == "file"
    assert value_after(args, "-format_whitelist") == demuxer
    assert value_after(args, "-f") == demuxer
    assert value_after(args, "-codec_whitelist") == "h264,aac"
    assert args[-2:] == ["-i", "file:/jobs/job-1/source"]
    # Every safety option comes before -i, where ffmpeg applies it to this input.
    assert args.index("-protocol_whitelist") < args.index("-i")
    assert ("-enable_drefs" in args) is (container is Container.MP4)


def test_hostile_looking_names_stay_plain_file_names() -> None:
    for name in ("-y", "http:evil", "frame%03d.png", "concat:a|b"):
        args = input_args(source(name=name))
        assert args[-1] == f"file:/jobs/job-1/{name}"


def test_limits_and_seeking_reach_the_input() -> None:
    src = SafeInput(
        JOB / "s", Container.MP4, ("h264",), max_streams=9, max_pixels=100, probe_size=5
    )
    args = input_args(src, seek_s=12.5, duration_s=2)
    assert value_after(args, "-max_streams") == "9"
    assert value_after(args, "-max_pixels") == "100"
    assert value_after(args, "-probesize") == "5"
    assert value_after(args, "-ss") == "12.5"
    assert value_after(args, "-t") == "2"
    assert "-ss" not in input_args(src, seek_s=0)


def test_safe_input_refuses_relative_paths_and_odd_decoder_names() -> None:
    with pytest.raises(ValueError):
        SafeInput(Path("source"), Container.MP4, ("h264",))
    with pytest.raises(ValueError):
        SafeInput(JOB / "s", Container.MP4, ())
    with pytest.raises(ValueError):
        SafeInput(JOB / "s", Container.MP4, ("h264,mpeg4",))


def test_decoders_for_maps_codecs_to_every_decoder_name() -> None:
    assert decoders_for(["av1", "opus"]) == ("libdav1d", "av1", "libaom-av1", "opus", "libopus")
    assert decoders_for(["h264", "somethingnew"]) == ("h264", "somethingnew")


def test_ffprobe_headers_only_or_decoding() -> None:
    headers = ffprobe_argv(FFPROBE, source(), decode=False)
    full = ffprobe_argv(FFPROBE, source(), decode=True)
    assert headers[0] == str(FFPROBE)
    assert "-nofind_stream_info" in headers and "-nofind_stream_info" not in full
    assert headers[-5:] == ["-print_format", "json", "-show_format", "-show_streams", "-show_error"]
    assert value_after(full, "-print_format") == "json"
    assert "-protocol_whitelist" in full


def test_decode_check_maps_the_programme_video_and_writes_nothing() -> None:
    argv = decode_check_argv(FFMPEG, source(), start_s=10, duration_s=5, threads=2)
    assert argv[:2] == [str(FFMPEG), "-nostdin"]
    assert value_after(argv, "-map") == "0:V:0"  # capital V: never a cover picture
    assert argv[-3:] == ["-f", "null", "-"]
    assert value_after(argv, "-progress") == "pipe:1"


def test_scale_filter_takes_only_known_scalers() -> None:
    assert scale_filter(640, 360, "bicubic") == "scale=640:360:flags=bicubic,setsar=1"
    with pytest.raises(ValueError):
        scale_filter(640, 360, "bicubic,movie=/etc/passwd")


def test_reference_cuts_each_span_from_its_own_input() -> None:
    spans = (SampleSpan(5, 2), SampleSpan(20, 2))
    out = JOB / "ref.mkv"
    argv = reference_argv(
        FFMPEG,
        source(),
        spans=spans,
        width=1280,
        height=720,
        fps=Fraction(30000, 1001),
        out=out,
        threads=2,
    )
    assert argv.count("-i") == 2
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-ss"] == ["5", "20"]
    graph = value_after(argv, "-filter_complex")
    assert "concat=n=2:v=1:a=0[ref]" in graph and "fps=30000/1001" in graph
    assert value_after(argv, "-qp") == "0"
    assert argv[-1] == "file:/jobs/job-1/ref.mkv"
    with pytest.raises(ValueError):
        reference_argv(
            FFMPEG, source(), spans=(), width=2, height=2, fps=Fraction(25), out=out, threads=1
        )


def test_outputs_must_be_absolute() -> None:
    enc = VideoEncode(width=640, height=360, crf=23)
    with pytest.raises(ValueError):
        trial_encode_argv(FFMPEG, source(Container.MATROSKA), enc, Path("out.mkv"))


def test_video_encode_args_constant_quality_and_bitrate() -> None:
    crf = video_encode_args(VideoEncode(width=640, height=360, crf=23, preset="fast", threads=3))
    assert value_after(crf, "-crf") == "23" and "-b:v" not in crf
    assert value_after(crf, "-threads") == "3" and value_after(crf, "-preset") == "fast"
    abr = video_encode_args(
        VideoEncode(
            width=1280, height=720, bitrate_kbps=3000, maxrate_kbps=4500, bufsize_kbps=6000,
            gop_frames=96, fps=Fraction(24), profile="high",
        )
    )  # fmt: skip
    assert value_after(abr, "-b:v") == "3000k"
    assert value_after(abr, "-maxrate") == "4500k" and value_after(abr, "-bufsize") == "6000k"
    assert value_after(abr, "-g") == "96" and value_after(abr, "-sc_threshold") == "0"
    assert value_after(abr, "-r") == "24/1" and value_after(abr, "-profile:v") == "high"


def test_video_encode_needs_even_size_and_one_rate_control() -> None:
    with pytest.raises(ValueError):
        VideoEncode(width=641, height=360, crf=23)
    with pytest.raises(ValueError):
        VideoEncode(width=640, height=360)
    with pytest.raises(ValueError):
        VideoEncode(width=640, height=360, crf=23, bitrate_kbps=1000)


def test_trial_encode_scales_and_drops_other_streams() -> None:
    enc = VideoEncode(width=640, height=360, crf=30)
    argv = trial_encode_argv(FFMPEG, source(Container.MATROSKA), enc, JOB / "t.mkv")
    assert value_after(argv, "-vf") == "scale=640:360:flags=bicubic,setsar=1"
    assert {"-an", "-sn", "-dn"} <= set(argv)
    assert argv[-1] == "file:/jobs/job-1/t.mkv"


def test_vmaf_scales_the_encode_back_and_logs_json() -> None:
    dist = source(Container.MATROSKA, "t.mkv")
    ref = source(Container.MATROSKA, "ref.mkv")
    argv = vmaf_argv(
        FFMPEG, dist, ref, width=1920, height=1080, log_name="t.vmaf.json",
        options=VmafOptions(n_threads=2, n_subsample=3),
    )  # fmt: skip
    graph = value_after(argv, "-filter_complex")
    assert graph.startswith("[0:V:0]scale=1920:1080:flags=bicubic")
    assert "libvmaf=log_path=t.vmaf.json:log_fmt=json:n_threads=2:n_subsample=3" in graph
    assert argv.count("-protocol_whitelist") == 2
    for bad in ("../x.json", "a:b.json", "x;movie=y"):
        with pytest.raises(ValueError):
            vmaf_argv(FFMPEG, dist, ref, width=2, height=2, log_name=bad, options=VmafOptions())
