"""Hostile uploads: refused with a named reason, and never able to make ffmpeg open anything else.

The playlist and concat cases are proved twice: through validation (refused
by their bytes), and through the wrapper alone with a deliberately wrong
container (the forced demuxer still opens nothing but the file). Control runs
of ffprobe without the wrapper's options show the detectors do fire when a
file really is followed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reelstack.media.ffmpeg import (
    Binaries,
    Container,
    FfmpegError,
    FfmpegLimitError,
    Limits,
    SafeInput,
    decoders_for,
    probe,
    run,
)
from reelstack.media.ffmpeg.runner import make_job_folder
from reelstack.media.source.validate import MediaRefused, stage_upload

from .conftest import DEFAULT_LIMITS, ClipMaker, check
from .hostile import ConnectionRecorder, Tripwire

pytestmark = pytest.mark.slow

DECODERS = decoders_for(["h264", "aac"])


def playlist(folder: Path, name: str, *targets: str) -> Path:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2"]
    for target in targets:
        lines += ["#EXTINF:2.0,", target]
    path = folder / name
    path.write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]))
    return path


def naive_ffprobe(binaries: Binaries, path: Path, *extra: str) -> None:
    """ffprobe as a careless caller runs it: demuxer guessed from the contents."""
    subprocess.run(
        [str(binaries.ffprobe), "-hide_banner", "-loglevel", "error", *extra, str(path)],
        cwd=path.parent,
        capture_output=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def assert_refused(code: str, upload: Path, job_dir: Path, binaries: Binaries, **limits: object):
    with pytest.raises(MediaRefused) as caught:
        check(
            upload,
            job_dir,
            binaries,
            dataclasses.replace(DEFAULT_LIMITS, **limits) if limits else None,
        )  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value
    assert caught.value.reason in str(caught.value)
    return caught.value


# -- playlists, concat lists, image sequences ----------------------------------


def test_hls_playlist_named_mp4_is_refused_and_followed_nowhere(
    tmp_path: Path,
    job_dir: Path,
    binaries: Binaries,
    tripwire: Tripwire,
    listener: ConnectionRecorder,
) -> None:
    upload = playlist(
        tmp_path, "movie.mp4", str(tripwire.path), listener.url, "http://127.0.0.1:1/x.ts"
    )
    refused = assert_refused("playlist", upload, job_dir, binaries)
    assert "HLS playlist" in refused.reason
    assert not tripwire.tripped
    assert listener.connections() == 0


@pytest.mark.parametrize("container", list(Container))
def test_forced_demuxer_alone_keeps_a_playlist_from_being_followed(
    tmp_path: Path,
    binaries: Binaries,
    tripwire: Tripwire,
    listener: ConnectionRecorder,
    container: Container,
) -> None:
    # Even if sniffing had been fooled, the wrapper's own options hold.
    job = make_job_folder(tmp_path / "job")
    bait = playlist(job, "source", str(tripwire.path), listener.url)
    with pytest.raises(FfmpegError):
        probe(
            binaries.ffprobe,
            SafeInput(bait, container, DECODERS),
            cwd=job,
            limits=Limits(wall_s=30),
        )
    assert not tripwire.tripped
    assert listener.connections() == 0


def test_control_a_careless_ffprobe_does_follow_the_playlist(
    tmp_path: Path, binaries: Binaries, tripwire: Tripwire, listener: ConnectionRecorder
) -> None:
    # Proves the detectors work: without the wrapper, ffprobe opens what the list names.
    local = playlist(tmp_path, "local.mp4", str(tripwire.path))
    naive_ffprobe(binaries, local)
    assert tripwire.wait_tripped()
    remote = playlist(tmp_path, "remote.mp4", listener.url)
    naive_ffprobe(binaries, remote, "-protocol_whitelist", "file,http,tcp")
    assert listener.wait_connected()


def test_concat_list_named_mkv_is_refused_and_followed_nowhere(
    tmp_path: Path,
    job_dir: Path,
    binaries: Binaries,
    tripwire: Tripwire,
    listener: ConnectionRecorder,
) -> None:
    upload = tmp_path / "movie.mkv"
    upload.write_text(f"ffconcat version 1.0\nfile '{tripwire.path}'\nfile '{listener.url}'\n")
    refused = assert_refused("playlist", upload, job_dir, binaries)
    assert "ffconcat" in refused.reason
    with pytest.raises(FfmpegError):
        probe(
            binaries.ffprobe,
            SafeInput(job_dir / "source", Container.MATROSKA, DECODERS),
            cwd=job_dir,
            limits=Limits(wall_s=30),
        )
    assert not tripwire.tripped
    assert listener.connections() == 0


def test_control_a_careless_ffprobe_does_follow_a_concat_list(
    tmp_path: Path, binaries: Binaries, tripwire: Tripwire
) -> None:
    listing = tripwire.path.parent / "list.mkv"
    listing.write_text(f"ffconcat version 1.0\nfile {tripwire.path.name}\n")
    naive_ffprobe(binaries, listing)
    assert tripwire.wait_tripped()


def test_headerless_concat_list_is_refused_as_text(
    tmp_path: Path, job_dir: Path, binaries: Binaries
) -> None:
    upload = tmp_path / "movie.mp4"
    upload.write_text("file 'a.mp4'\nfile 'b.mp4'\n")
    assert_refused("text", upload, job_dir, binaries)


def test_image_sequence_pattern_is_never_expanded(
    tmp_path: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    # A real MP4 whose *name* is an image2 pattern, next to a FIFO the pattern matches.
    job = make_job_folder(tmp_path / "job")
    wire = Tripwire(job / "frame001.png")
    try:
        literal = job / "frame%03d.png"
        shutil.copyfile(clips.video("plain.mp4"), literal)
        found = probe(
            binaries.ffprobe,
            SafeInput(literal, Container.MP4, DECODERS),
            cwd=job,
            limits=Limits(wall_s=30),
        )
        assert found.video is not None and found.video.width == 320
        assert not wire.tripped
        # Control: ffprobe left to guess treats the name as a pattern and opens the FIFO.
        literal.unlink()
        naive_ffprobe(binaries, literal)
        assert wire.wait_tripped()
    finally:
        wire.close()


def test_image_named_like_a_pattern_is_refused(
    tmp_path: Path, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    png = clips.make("frame.png", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1")
    upload = tmp_path / "frame%03d.mp4"
    shutil.copyfile(png, upload)
    assert_refused("image", upload, job_dir, binaries)


# -- pictures, text, empty, damaged --------------------------------------------


@pytest.mark.parametrize(
    ("source", "detail"), [("png", "PNG"), ("jpg", "JPEG"), ("avif", "HEIF/AVIF")]
)
def test_picture_named_mp4_is_refused(
    source: str,
    detail: str,
    tmp_path: Path,
    job_dir: Path,
    binaries: Binaries,
    clips: ClipMaker,
) -> None:
    codec = {"avif": ("-c:v", "libaom-av1", "-still-picture", "1", "-f", "avif")}.get(source, ())
    picture = clips.make(
        f"still.{source}", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", *codec
    )
    upload = tmp_path / "holiday.mp4"
    shutil.copyfile(picture, upload)
    refused = assert_refused("image", upload, job_dir, binaries)
    assert detail in refused.reason


def test_empty_file_is_refused(tmp_path: Path, job_dir: Path, binaries: Binaries) -> None:
    upload = tmp_path / "empty.mp4"
    upload.touch()
    assert_refused("empty", upload, job_dir, binaries)


def test_text_file_is_refused(tmp_path: Path, job_dir: Path, binaries: Binaries) -> None:
    upload = tmp_path / "notes.mkv"
    upload.write_text("just some words, not a film\n" * 20)
    assert_refused("text", upload, job_dir, binaries)


def test_random_bytes_are_refused(tmp_path: Path, job_dir: Path, binaries: Binaries) -> None:
    upload = tmp_path / "noise.mp4"
    upload.write_bytes(os.urandom(64 * 1024))
    assert_refused("unknown", upload, job_dir, binaries)


@pytest.mark.parametrize("faststart", [False, True])
def test_mp4_cut_in_half_is_refused_as_truncated(
    faststart: bool, tmp_path: Path, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    # Index at the end: the cut loses it. Index first (faststart): the cut loses the tail.
    extra = ("-movflags", "+faststart") if faststart else ()
    whole = clips.video(f"six-{faststart}.mp4", seconds=6, extra=extra)
    upload = tmp_path / "cut.mp4"
    upload.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    refused = assert_refused("truncated", upload, job_dir, binaries)
    assert ("moov" in refused.reason) is not faststart


def test_mkv_cut_in_half_is_refused_as_truncated(
    tmp_path: Path, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    whole = clips.video("six.mkv", seconds=6)
    upload = tmp_path / "cut.mkv"
    upload.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert_refused("truncated", upload, job_dir, binaries)


def test_mp4_with_its_media_data_zeroed_is_refused(
    tmp_path: Path, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    data = bytearray(clips.video("zeroed.mp4", extra=("-movflags", "+faststart")).read_bytes())
    mdat = data.index(b"mdat")
    data[mdat + 4 :] = bytes(len(data) - mdat - 4)
    upload = tmp_path / "zeroed.mp4"
    upload.write_bytes(bytes(data))
    refused = assert_refused("undecodable", upload, job_dir, binaries)
    assert "start" in refused.reason


# -- limits and allow-lists ------------------------------------------------------


def test_oversized_file_is_refused_before_reading(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = clips.video("plain.mp4")
    refused = assert_refused(
        "too_large", upload, job_dir, binaries, max_bytes=upload.stat().st_size - 1
    )
    assert str(upload.stat().st_size) in refused.reason


def test_too_long_is_refused(job_dir: Path, binaries: Binaries, clips: ClipMaker) -> None:
    refused = assert_refused(
        "too_long", clips.video("plain.mp4"), job_dir, binaries, max_duration_s=2.5
    )
    assert "3 s" in refused.reason


def test_single_frame_is_refused_as_too_short(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    still = clips.make(
        "one-frame.mp4", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1"
    )
    assert_refused("too_short", still, job_dir, binaries)


def test_too_many_streams_is_refused(job_dir: Path, binaries: Binaries, clips: ClipMaker) -> None:
    args = ["-f", "lavfi", "-i", "testsrc2=size=64x48:duration=2"]
    args += ["-f", "lavfi", "-i", "sine=duration=2"]
    for _ in range(5):
        args += ["-map", "1:a"]
    upload = clips.make("six-streams.mp4", *args, "-map", "0:v", "-c:a", "aac")
    refused = assert_refused("too_many_streams", upload, job_dir, binaries, max_streams=4)
    assert "6 streams" in refused.reason


def test_picture_larger_than_allowed_is_refused(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    refused = assert_refused(
        "resolution",
        clips.video("plain.mp4"),
        job_dir,
        binaries,
        max_width=256,
        max_height=192,
    )
    assert "320x240" in refused.reason


@pytest.mark.parametrize("codec", ["mpeg4", "mjpeg"])
def test_mp4_with_a_codec_off_the_allow_list_is_refused(
    codec: str, job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = clips.video(f"{codec}.mp4", vcodec=("-c:v", codec), audio=())
    refused = assert_refused("codec", upload, job_dir, binaries)
    assert codec in refused.reason


def test_audio_codec_off_the_allow_list_is_refused(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = clips.video("opus.mkv", audio=("-c:a", "libopus"))
    refused = assert_refused(
        "codec", upload, job_dir, binaries, audio_codecs=("aac",), subtitle_codecs=()
    )
    assert "opus" in refused.reason


def test_container_off_the_allow_list_is_refused(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    upload = clips.video("plain.mkv")
    assert_refused("container", upload, job_dir, binaries, containers=("mp4",))


def test_audio_only_file_is_refused(job_dir: Path, binaries: Binaries, clips: ClipMaker) -> None:
    upload = clips.make("audio.mp4", "-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac")
    assert_refused("no_video", upload, job_dir, binaries)


def test_mpeg_ts_is_refused(job_dir: Path, binaries: Binaries, clips: ClipMaker) -> None:
    upload = clips.video("stream.ts", extra=("-f", "mpegts"))
    renamed = upload.with_name("stream-ts.mp4")
    shutil.copyfile(upload, renamed)
    refused = assert_refused("container", renamed, job_dir, binaries)
    assert "transport stream" in refused.reason


def test_a_run_over_its_time_limit_refuses_the_upload(
    job_dir: Path, binaries: Binaries, clips: ClipMaker
) -> None:
    refused = assert_refused(
        "resources", clips.video("plain.mp4"), job_dir, binaries, max_wall_s=0.001
    )
    assert "wall-clock" in refused.reason


def test_a_fifo_or_symlink_upload_is_not_staged(tmp_path: Path) -> None:
    job = make_job_folder(tmp_path / "job")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    link = tmp_path / "link.mp4"
    link.symlink_to("/etc/passwd")
    for upload in (fifo, link):
        with pytest.raises(MediaRefused) as caught:
            stage_upload(upload, job)
        assert caught.value.code == "not_a_file"
    assert list(job.iterdir()) == []


def test_ffmpeg_writing_past_the_output_limit_is_stopped(
    tmp_path: Path, binaries: Binaries
) -> None:
    job = make_job_folder(tmp_path / "job")
    argv = [str(binaries.ffmpeg), "-nostdin", "-loglevel", "error", "-f", "lavfi"]
    argv += ["-i", "testsrc2=size=640x360:duration=10", "-c:v", "libx264", "-crf", "5"]
    with pytest.raises(FfmpegLimitError, match="output size"):
        run([*argv, f"file:{job}/out.mkv"], cwd=job, limits=Limits(output_bytes=200_000))
    assert (job / "out.mkv").stat().st_size <= 200_000
