"""The encoding pipeline end to end in one process: submit, a worker, a published title.

Sources are a few seconds of 640x360 test pattern with a tone; the ladder is
two small rungs at x264's ultrafast preset, so each job takes seconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import m3u8  # type: ignore[import-untyped]
import pytest

from reelstack.bootstrap import Adapters, bootstrap
from reelstack.config import Config
from reelstack.errors import ConflictError, InvalidRequestError
from reelstack.media.ffmpeg import Binaries
from reelstack.media.ladder.plan import Rung
from reelstack.media.packaging.encryption import decrypt_segment
from reelstack.media.pipeline import jobs, jobstore
from reelstack.media.pipeline.jobs import (
    EncodeRequest,
    Job,
    JobState,
    ProgressEvent,
    SubtitleSource,
)
from reelstack.media.pipeline.tasks import Task, enqueue
from reelstack.media.pipeline.worker import Worker, open_context

from .conftest import ClipMaker
from .pipeline_support import (
    check_hls,
    decode_segment,
    fetch_tree,
    mpd_representations,
    pipeline_config,
)

RUNGS = (Rung(320, 180, 300), Rung(640, 360, 800))
SRT = (
    b"1\n00:00:01,000 --> 00:00:02,500\nHello <i>there</i>\n\n"
    b"2\n00:00:05,000 --> 00:00:06,000\nBye\n"
)
DEADLINE_S = 240


@pytest.fixture
def source(clips: ClipMaker) -> Path:
    # 10 s at 29.97 fps, source keyframes every 2 s: three segments, the last short.
    return clips.video(
        "pipeline-ntsc.mp4", size="640x360", seconds=10, rate=30000 / 1001, extra=("-g", "60")
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return pipeline_config(tmp_path / "home")


@pytest.fixture
async def adapters(config: Config) -> AsyncIterator[Adapters]:
    built = bootstrap(config)
    await built.open(["log", "sql", "blob"])
    await jobs.prepare(adapters=built)
    yield built
    await built.close()


@asynccontextmanager
async def running_worker(config: Config) -> AsyncIterator[Worker]:
    ctx = await open_context(config)
    worker = Worker(ctx, session_timeout_ms=1500)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await task
        await ctx.adapters.close()


async def finish(adapters: Adapters, job_id: str) -> list[ProgressEvent]:
    """Follow a job to its end (within the deadline); return its events."""

    async def collect() -> list[ProgressEvent]:
        return [e async for e in jobs.follow(adapters=adapters, job_id=job_id, poll_s=0.05)]

    return await asyncio.wait_for(collect(), DEADLINE_S)


async def put_file(adapters: Adapters, key: str, path: Path) -> None:
    await adapters.blob.put(key, await asyncio.to_thread(path.read_bytes))


def frame_count(ffprobe: Path, path: Path) -> int:
    out = subprocess.run(
        [
            str(ffprobe),
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(json.loads(out.stdout)["streams"][0]["nb_read_frames"])


async def published(
    adapters: Adapters, config: Config, clip: Path, title_id: str, tmp_path: Path
) -> tuple[Job, Path]:
    """Encode ``clip`` into one 320x180 rung with a worker; the job and its fetched output."""
    key = f"uploads/{title_id}/source"
    await put_file(adapters, key, clip)
    job = await jobs.submit(
        adapters=adapters,
        title_id=title_id,
        source_key=key,
        options=EncodeRequest(rungs=(Rung(320, 180, 300),)),
    )
    async with running_worker(config):
        events = await finish(adapters, job.id)
    assert events[-1].state is JobState.PUBLISHED, events[-1].reason
    job = await jobs.get(adapters=adapters, job_id=job.id)
    root = await fetch_tree(adapters.blob, job.output_prefix or "", tmp_path / "out")
    return job, root


async def test_a_title_is_published_as_aligned_hls_and_dash(
    adapters: Adapters, config: Config, source: Path, binaries: Binaries, tmp_path: Path
) -> None:
    await put_file(adapters, "uploads/t1/source.mp4", source)
    await adapters.blob.put("uploads/t1/en.srt", SRT)
    request = EncodeRequest(rungs=RUNGS, subtitles=(SubtitleSource("uploads/t1/en.srt", "en"),))
    job = await jobs.submit(
        adapters=adapters, title_id="t1", source_key="uploads/t1/source.mp4", options=request
    )
    assert job.state is JobState.QUEUED
    async with running_worker(config):
        events = await finish(adapters, job.id)
    states = [e.state for e in events]
    assert states[-1] is JobState.PUBLISHED, events[-1].reason
    assert states.count(JobState.PUBLISHED) == 1
    transitions = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert transitions == [
        JobState.QUEUED,
        JobState.PROBING,
        JobState.PLANNING,
        JobState.ENCODING,
        JobState.PACKAGING,
        JobState.PUBLISHED,
    ]
    assert {e.part for e in events if e.part} == {"c0000", "c0001", "c0002", "audio"}
    progress = [e.progress for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0

    job = await jobs.get(adapters=adapters, job_id=job.id)
    assert job.state is JobState.PUBLISHED and job.parts_done == job.parts_total == 4
    assert job.master_key == f"media/t1/{job.id}/master.m3u8"
    assert job.manifest_key == f"media/t1/{job.id}/manifest.mpd"
    # Chunk outputs are private and gone once the title is out.
    assert await adapters.blob.list(f"private/media-jobs/{job.id}/") == []

    root = await fetch_tree(adapters.blob, job.output_prefix or "", tmp_path / "out")
    work = tmp_path / "decoded"
    work.mkdir()
    master, renditions, audio = check_hls(root, binaries.ffprobe, work)
    infos = [r.stream_info for r in renditions]
    assert [i.resolution for i in infos] == [(320, 180), (640, 360)]
    for info in infos:
        assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", info.codecs)
        assert info.frame_rate == pytest.approx(29.97)
        assert info.bandwidth >= info.average_bandwidth > 0
        assert info.audio == "audio" and info.subtitles == "subs"
    assert infos[0].bandwidth < infos[1].bandwidth
    subs = [m for m in master.media if m.type == "SUBTITLES"]
    assert [(m.language, m.uri) for m in subs] == [("en", "subs/en/index.m3u8")]
    assert (root / "subs/en/subtitles.vtt").read_text().startswith("WEBVTT")

    # Every segment decodes; each starts with the one keyframe of its GOP, at the
    # same time in every rendition; together they hold every source frame.
    low, high = (r.segments for r in renditions)
    assert len(low) == len(high) == 3
    for a, b in zip(low, high, strict=True):
        assert a.first_is_key and b.first_is_key
        assert a.keyframes == b.keyframes == 1
        assert a.first_pts_s == pytest.approx(b.first_pts_s, abs=0.001)
    assert [round(s.first_pts_s - low[0].first_pts_s, 3) for s in low] == [0.0, 4.004, 8.008]
    assert sum(s.frames for s in low) == sum(s.frames for s in high)
    assert sum(s.frames for s in low) == frame_count(binaries.ffprobe, source)
    assert len(audio) == 3 and all(s.frames > 0 for s in audio)

    reps = mpd_representations(root / "manifest.mpd")
    assert set(reps) == {"v0", "v1", "a0", "subs-en"}
    assert reps["v1"]["codecs"] == infos[1].codecs.split(",")[0]
    assert reps["a0"]["codecs"] == "mp4a.40.2"
    assert (reps["v0"]["width"], reps["v0"]["height"]) == ("320", "180")


X265 = ("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none")
VP9 = ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")
AV1 = ("-c:v", "libsvtav1", "-preset", "12", "-svtav1-params", "log-level=0")


@pytest.mark.parametrize(
    ("name", "vcodec", "audio", "channels"),
    [
        ("user-hevc-51.mkv", X265, ("-c:a", "libopus"), 6),
        ("user-hevc-ac3.mp4", (*X265, "-tag:v", "hvc1"), ("-c:a", "ac3"), 6),
        ("user-vp9.webm", VP9, ("-c:a", "libopus"), 2),
        ("user-av1-51.mkv", AV1, ("-c:a", "flac"), 6),
        ("user-av1.mp4", AV1, ("-c:a", "aac"), 2),
    ],
)
async def test_a_users_hevc_vp9_or_av1_source_becomes_a_playable_ladder(
    name: str,
    vcodec: tuple[str, ...],
    audio: tuple[str, ...],
    channels: int,
    adapters: Adapters,
    config: Config,
    clips: ClipMaker,
    binaries: Binaries,
    tmp_path: Path,
) -> None:
    # The ladder is H.264/AAC whatever came in (stereo: 5.1 is mixed down), so
    # every browser plays it; every segment decodes and the playlists parse.
    upload = clips.video(
        name, size="320x180", seconds=5, vcodec=vcodec, audio=audio, channels=channels
    )
    _, root = await published(adapters, config, upload, upload.stem, tmp_path)
    work = tmp_path / "decoded"
    work.mkdir()
    master, renditions, sound = check_hls(root, binaries.ffprobe, work)
    [rendition] = renditions
    assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", rendition.stream_info.codecs)
    assert sum(s.frames for s in rendition.segments) == frame_count(binaries.ffprobe, upload)
    assert sound and all(s.frames > 0 for s in sound)
    [track] = [m for m in master.media if m.type == "AUDIO"]
    assert track.channels == "2"


async def test_an_encrypted_title_decrypts_with_its_key(
    adapters: Adapters, config: Config, source: Path, binaries: Binaries, tmp_path: Path
) -> None:
    await put_file(adapters, "uploads/t2/source.mp4", source)
    request = EncodeRequest(rungs=RUNGS[:1], encrypt=True)
    job = await jobs.submit(
        adapters=adapters, title_id="t2", source_key="uploads/t2/source.mp4", options=request
    )
    async with running_worker(config):
        events = await finish(adapters, job.id)
    assert events[-1].state is JobState.PUBLISHED, events[-1].reason
    job = await jobs.get(adapters=adapters, job_id=job.id)
    assert job.manifest_key is None  # DASH has no whole-segment AES-128
    assert jobs.content_key_blob(config, "t2") == "private/keys/t2/aes128.key"
    key = await adapters.blob.read(jobs.content_key_blob(config, "t2"))
    assert len(key) == 16
    root = await fetch_tree(adapters.blob, job.output_prefix or "", tmp_path / "out")
    playlist = m3u8.load(str(root / "v0/index.m3u8"))
    assert playlist.keys[-1].method == "AES-128"
    assert playlist.keys[-1].uri == "/api/playback/keys/t2"
    # As a player does: fetch the key from the URI, decrypt each segment with its
    # sequence number as IV, then decode it after the (clear) init segment.
    clear = tmp_path / "clear"
    clear.mkdir()
    for folder in ("v0", "a0"):
        init = root / folder / "init.mp4"
        assert b"moov" in init.read_bytes()
        for number, segment in enumerate(m3u8.load(str(root / folder / "index.m3u8")).segments):
            sealed = (root / folder / segment.uri).read_bytes()
            assert sealed[4:8] != b"moof"  # a clear segment starts with its moof box
            opened = clear / f"{folder}-{segment.uri}"
            opened.write_bytes(decrypt_segment(sealed, key, number))
            frames = decode_segment(binaries.ffprobe, init, opened, clear)
            assert frames.frames > 0 and frames.first_is_key


async def test_redelivered_tasks_change_nothing_once_published(
    adapters: Adapters, config: Config, source: Path
) -> None:
    await put_file(adapters, "uploads/t3/source.mp4", source)
    job = await jobs.submit(
        adapters=adapters,
        title_id="t3",
        source_key="uploads/t3/source.mp4",
        options=EncodeRequest(rungs=RUNGS[:1]),
    )
    async with running_worker(config) as worker:
        await finish(adapters, job.id)
        done = await jobs.get(adapters=adapters, job_id=job.id)
        master = await adapters.blob.stat(done.master_key or "")
        parts_before = await jobstore.load_parts(adapters.sql, job.id)
        handled = worker.done
        # Every task of the job again, as if a partition were read twice.
        again = [Task("job", job.id), Task("package", job.id)]
        again += [
            Task("part", job.id, name, slot) for slot, name in enumerate(sorted(parts_before))
        ]
        await enqueue(adapters.log, *again)

        async def drained() -> None:
            # The worker counts the tasks it finished; nothing else signals them.
            while worker.done < handled + len(again):  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        await asyncio.wait_for(drained(), DEADLINE_S)
    after = await jobs.get(adapters=adapters, job_id=job.id)
    assert after.state is JobState.PUBLISHED and after.finished_at == done.finished_at
    assert (await adapters.blob.stat(after.master_key or "")).etag == master.etag
    assert (await adapters.blob.stat(after.master_key or "")).modified == master.modified
    assert await jobstore.load_parts(adapters.sql, job.id) == parts_before


async def test_submitting_again_with_the_job_id_returns_the_same_job(
    adapters: Adapters, config: Config, source: Path
) -> None:
    # A service that died between submitting and recording the job submits
    # again: the same job comes back (queued once more), never a second one.
    await put_file(adapters, "uploads/t9/source.mp4", source)
    job_id = "0123456789abcdef0123456789abcdef"

    async def submit(title_id: str = "t9") -> Job:
        return await jobs.submit(
            adapters=adapters,
            title_id=title_id,
            source_key="uploads/t9/source.mp4",
            options=EncodeRequest(rungs=RUNGS[:1]),
            job_id=job_id,
        )

    first = await submit()
    again = await submit()
    assert again.id == first.id == job_id
    assert [j.id for j in await jobs.for_title(adapters=adapters, title_id="t9")] == [job_id]
    with pytest.raises(ConflictError, match="exists for t9"):
        await submit("t10")
    with pytest.raises(InvalidRequestError, match="32 hex digits"):
        await jobs.submit(
            adapters=adapters,
            title_id="t9",
            source_key="uploads/t9/source.mp4",
            options=EncodeRequest(),
            job_id="not-a-job-id",
        )
    async with running_worker(config):
        events = await finish(adapters, job_id)
    assert events[-1].state is JobState.PUBLISHED
    assert [e.state for e in events].count(JobState.PUBLISHED) == 1


async def test_a_refused_source_fails_at_once_with_the_reason(
    adapters: Adapters, config: Config
) -> None:
    await adapters.blob.put("uploads/t4/source.mp4", b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")
    job = await jobs.submit(
        adapters=adapters,
        title_id="t4",
        source_key="uploads/t4/source.mp4",
        options=EncodeRequest(),
    )
    async with running_worker(config):
        events = await finish(adapters, job.id)
    assert events[-1].state is JobState.FAILED
    job = await jobs.get(adapters=adapters, job_id=job.id)
    assert job.state is JobState.FAILED and job.step_attempts == 1
    assert job.reason is not None and "playlist" in job.reason


async def test_ffmpeg_failures_are_retried_then_fail_the_job_with_ffmpegs_reason(
    tmp_path: Path, source: Path
) -> None:
    # Each rendition file may be 1 MiB; a 20 Mb/s rung writes more in its first chunk.
    config = pipeline_config(tmp_path / "home", max_output_bytes=str(1024 * 1024))
    adapters = bootstrap(config)
    await adapters.open(["log", "sql", "blob"])
    try:
        await jobs.prepare(adapters=adapters)
        await put_file(adapters, "uploads/t5/source.mp4", source)
        job = await jobs.submit(
            adapters=adapters,
            title_id="t5",
            source_key="uploads/t5/source.mp4",
            options=EncodeRequest(rungs=(Rung(640, 360, 20000),)),
        )
        async with running_worker(config):
            events = await finish(adapters, job.id)
        assert events[-1].state is JobState.FAILED
        job = await jobs.get(adapters=adapters, job_id=job.id)
        assert job.reason is not None and "output size limit" in job.reason
        parts = await jobstore.load_parts(adapters.sql, job.id)
        assert max(p.attempts for p in parts.values()) == 2  # media.max_attempts
    finally:
        await adapters.close()


async def test_av1_renditions_align_with_h264(
    adapters: Adapters, config: Config, clips: ClipMaker, binaries: Binaries, tmp_path: Path
) -> None:
    clip = clips.video("pipeline-av1.mp4", size="320x180", seconds=6, rate=25)
    await put_file(adapters, "uploads/t6/source.mp4", clip)
    job = await jobs.submit(
        adapters=adapters,
        title_id="t6",
        source_key="uploads/t6/source.mp4",
        options=EncodeRequest(rungs=(Rung(320, 180, 300),), av1=True),
    )
    async with running_worker(config):
        events = await finish(adapters, job.id)
    assert events[-1].state is JobState.PUBLISHED, events[-1].reason
    job = await jobs.get(adapters=adapters, job_id=job.id)
    root = await fetch_tree(adapters.blob, job.output_prefix or "", tmp_path / "out")
    work = tmp_path / "decoded"
    work.mkdir()
    _, renditions, _ = check_hls(root, binaries.ffprobe, work)
    codecs = [r.stream_info.codecs.split(",")[0] for r in renditions]
    assert codecs[0].startswith("avc1.") and codecs[1].startswith("av01.")
    h264, av1 = (r.segments for r in renditions)
    assert len(h264) == len(av1) == 2
    for a, b in zip(h264, av1, strict=True):
        assert a.first_is_key and b.first_is_key
    assert sum(s.frames for s in h264) == sum(s.frames for s in av1) == 150


async def test_a_silent_title_has_no_audio_rendition(
    adapters: Adapters, config: Config, clips: ClipMaker, binaries: Binaries, tmp_path: Path
) -> None:
    clip = clips.video("pipeline-silent.mp4", size="320x180", seconds=5, rate=25, audio=())
    job, root = await published(adapters, config, clip, "t7", tmp_path)
    assert job.parts_total == 2  # two chunks, no audio part
    work = tmp_path / "decoded"
    work.mkdir()
    master, renditions, audio = check_hls(root, binaries.ffprobe, work)
    assert audio == [] and not [m for m in master.media if m.type == "AUDIO"]
    (rendition,) = renditions
    assert re.fullmatch(r"avc1\.[0-9a-f]{6}", rendition.stream_info.codecs)
    assert rendition.stream_info.audio is None
    assert sum(s.frames for s in rendition.segments) == 125
    assert set(mpd_representations(root / "manifest.mpd")) == {"v0"}


async def test_audio_longer_than_the_video_adds_no_empty_chunk(
    adapters: Adapters, config: Config, clips: ClipMaker, binaries: Binaries, tmp_path: Path
) -> None:
    # 8 s of video (two 4 s segments, 200 frames) and 8.6 s of audio: the
    # container says 8.6 s, but there is no video past frame 199.
    clip = clips.make(
        "pipeline-long-audio.mp4",
        *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=8"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=8.6"),
        *("-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"),
    )
    job, root = await published(adapters, config, clip, "t8", tmp_path)
    assert job.plan is not None and len(job.plan["chunks"]) == 2
    work = tmp_path / "decoded"
    work.mkdir()
    _, (rendition,), audio = check_hls(root, binaries.ffprobe, work)
    assert [s.frames for s in rendition.segments] == [100, 100]
    assert len(audio) == 3  # the audio keeps its last 0.6 s
