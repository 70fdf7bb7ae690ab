"""Moving files between a worker's private job folders and the blob store.

Workers keep a title's source locally while they encode its chunks (one copy
per worker and job, hard-linked into each task's folder, never re-downloaded
per chunk), fetch other workers' chunk outputs for packaging, and publish
results with the blob store's atomic ``put``. Per-title content keys live in
the blob store under a private prefix.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reelstack.config import Config, read_group
from reelstack.errors import NotFoundError
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg.runner import make_job_folder
from reelstack.media.ladder.select import LadderBounds
from reelstack.media.ladder.trials import TrialConfig
from reelstack.media.packaging.encode import EncodeSettings
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.source.validate import MediaLimits
from reelstack.ports.blob import BlobStore

log = logging.getLogger(__name__)

_AUDIO_FOLDER = re.compile(r"^a\d+$")
KEY_NAME = "aes128.key"
_READ_CHUNK = 1024 * 1024
_CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt; charset=utf-8",
}
# Sources a worker keeps: the jobs it is most likely to get more chunks of.
KEEP_SOURCES = 2


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The pipeline's settings, read once per process."""

    segment_s: float
    chunk_s: float
    max_attempts: int
    encode: EncodeSettings
    ladder_mode: str
    av1: bool
    av1_ratio: float
    encrypt: bool
    key_url_template: str
    key_prefix: str
    work_prefix: str
    output_prefix: str
    limits: MediaLimits
    bounds: LadderBounds
    trials: TrialConfig

    @classmethod
    def from_config(cls, config: Config) -> Pipeline:
        """Read the ``media.*`` settings."""
        encode = read_group(config, EncodeSettings, pipeline_settings.ENCODE_SETTINGS)
        return cls(
            segment_s=encode.segment_s,
            chunk_s=config.get(pipeline_settings.MEDIA_CHUNK_S),
            max_attempts=config.get(pipeline_settings.MEDIA_MAX_ATTEMPTS),
            encode=encode,
            ladder_mode=config.get(pipeline_settings.MEDIA_LADDER_MODE),
            av1=config.get(pipeline_settings.MEDIA_AV1_ENABLED),
            av1_ratio=config.get(pipeline_settings.MEDIA_AV1_BITRATE_RATIO),
            encrypt=config.get(pipeline_settings.MEDIA_ENCRYPT),
            key_url_template=config.get(pipeline_settings.MEDIA_KEY_URL_TEMPLATE),
            key_prefix=config.get(pipeline_settings.MEDIA_KEY_PREFIX),
            work_prefix=config.get(pipeline_settings.MEDIA_WORK_PREFIX),
            output_prefix=config.get(pipeline_settings.MEDIA_OUTPUT_PREFIX),
            limits=read_group(config, MediaLimits, media_settings.LIMITS),
            bounds=read_group(config, LadderBounds, pipeline_settings.LADDER_BOUNDS),
            trials=read_group(config, TrialConfig, pipeline_settings.TRIAL_CONFIG),
        )

    def key_blob(self, title_id: str) -> str:
        """Blob key of a title's AES-128 content key."""
        return f"{self.key_prefix}/{title_id}/{KEY_NAME}"

    def key_uri(self, title_id: str) -> str:
        """Where players fetch a title's key (the playback service)."""
        return self.key_url_template.format(title_id=title_id)

    def work_key(self, job_id: str, *parts: str) -> str:
        """Blob key under a job's private work prefix."""
        return "/".join((self.work_prefix, job_id, *parts))

    def output_root(self, title_id: str, job_id: str) -> str:
        """Blob prefix a job's renditions are published under."""
        return f"{self.output_prefix}/{title_id}/{job_id}"


def content_type(name: str) -> str:
    """The content type of a published file, from its name."""
    parts = name.split("/")
    if len(parts) >= 2 and _AUDIO_FOLDER.match(parts[-2]) and parts[-1].endswith((".mp4", ".m4s")):
        return "audio/mp4"
    return _CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


async def download(blob: BlobStore, key: str, dest: Path) -> Path:
    """Copy an object into ``dest`` (a hard link when the store is on this disk)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    local = blob.local_path(key)
    if local is not None:

        def link() -> None:
            try:
                os.link(local, dest)
            except OSError:
                shutil.copyfile(local, dest)

        await asyncio.to_thread(link)
        return dest
    partial = dest.with_name(dest.name + ".part")
    with partial.open("wb") as handle:
        async for chunk in blob.get(key):
            await asyncio.to_thread(handle.write, chunk)
    partial.rename(dest)
    return dest


async def upload(blob: BlobStore, key: str, path: Path) -> None:
    """Publish a file (atomically: readers see all of it or nothing)."""
    data = await asyncio.to_thread(path.read_bytes)
    await blob.put(key, data, content_type=content_type(key))


async def publish_tree(
    blob: BlobStore, root: Path, prefix: str, files: Sequence[str], *, parallel: int = 8
) -> None:
    """Publish ``files`` (relative to ``root``) under ``prefix``, in order where it matters.

    Segments and init segments go up ``parallel`` at a time; then the
    playlists and manifests one by one in the order given, so the last file
    (the master playlist) appears only after everything it names.
    """
    media = [f for f in files if f.endswith((".m4s", ".mp4", ".vtt"))]
    rest = [f for f in files if f not in set(media)]
    gate = asyncio.Semaphore(parallel)

    async def one(name: str) -> None:
        async with gate:
            await upload(blob, f"{prefix}/{name}", root / name)

    await asyncio.gather(*(one(name) for name in media))
    for name in rest:
        await upload(blob, f"{prefix}/{name}", root / name)


async def delete_prefix(blob: BlobStore, prefix: str) -> int:
    """Delete every object under ``prefix/``; return how many went."""
    infos = await blob.list(prefix.rstrip("/") + "/")
    for info in infos:
        await blob.delete(info.key)
    return len(infos)


async def ensure_key(blob: BlobStore, key: str) -> bytes:
    """A title's content key, created (16 random bytes) if it has none yet."""
    try:
        data = await blob.read(key)
    except NotFoundError:
        data = os.urandom(16)
        await blob.put(key, data)
    if len(data) != 16:
        raise ValueError(f"content key {key} is {len(data)} bytes, not 16")
    return data


class SourceCache:
    """A worker's local copies of sources, one folder per job, the newest few kept."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, job_id: str) -> Path:
        """The job's private folder of this worker (made on first use)."""
        path = self.root / job_id
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            path.mkdir(mode=0o700)
        return path

    async def stage(self, blob: BlobStore, job_id: str, key: str, *, size: int) -> Path:
        """The job's source in its folder, downloaded unless already there whole."""
        folder = self.folder(job_id)
        path = folder / "source"
        if not (path.exists() and path.stat().st_size == size):
            path.unlink(missing_ok=True)
            await download(blob, key, path)
        os.utime(folder)
        self.prune(keep=job_id)
        return path

    def prune(self, *, keep: str | None = None) -> None:
        """Drop all but the newest :data:`KEEP_SOURCES` job folders."""
        if not self.root.exists():
            return
        folders = sorted(
            (p for p in self.root.iterdir() if p.is_dir() and p.name != keep),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in folders[KEEP_SOURCES - 1 :]:
            shutil.rmtree(old, ignore_errors=True)

    def drop(self, job_id: str) -> None:
        """Forget a finished job's source."""
        shutil.rmtree(self.root / job_id, ignore_errors=True)


def task_folder(root: Path) -> Path:
    """A fresh private (0700) folder for one task's files."""
    return make_job_folder(root, prefix="task-")
