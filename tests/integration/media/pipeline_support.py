"""Helpers of the pipeline tests: settings for a small fast pipeline, and checks of its output.

The checks read what a player reads: the master playlist (parsed with the
``m3u8`` package), each media playlist, and every segment, decoded whole by
ffprobe after its init segment.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import m3u8  # type: ignore[import-untyped]

from reelstack import settings
from reelstack.config import Config
from reelstack.ports.blob import BlobStore

MPD_NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}


def pipeline_env(home: Path, **overrides: str) -> dict[str, str]:
    """Settings of a small, fast pipeline under ``home`` (embedded engines)."""
    env = {
        "REELSTACK_HOME": str(home),
        "REELSTACK_MEDIA_PRESET": "ultrafast",
        "REELSTACK_MEDIA_CHUNK_S": "4",
        "REELSTACK_MEDIA_THREADS": "1",
        "REELSTACK_MEDIA_LADDER_MODE": "fixed",
        "REELSTACK_MEDIA_WORKER_SESSION_MS": "1500",
        "REELSTACK_MEDIA_TASK_PARTITIONS": "4",
        "REELSTACK_MEDIA_MAX_ATTEMPTS": "2",
    }
    env.update({f"REELSTACK_MEDIA_{k.upper()}": v for k, v in overrides.items()})
    return env


def pipeline_config(home: Path, **overrides: str) -> Config:
    return Config.load(settings.REGISTRY, environ=pipeline_env(home, **overrides))


async def fetch_tree(blob: BlobStore, prefix: str, dest: Path) -> Path:
    """Copy every object under ``prefix`` into ``dest``, as a player's cache would."""
    for info in await blob.list(prefix + "/"):
        path = dest / info.key[len(prefix) + 1 :]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(await blob.read(info.key))
    return dest


@dataclass(frozen=True)
class SegmentFrames:
    """What decoding one segment gave."""

    frames: int
    first_pts_s: float
    first_is_key: bool
    keyframes: int


def decode_segment(ffprobe: Path, init: Path, segment: Path, work: Path) -> SegmentFrames:
    """Decode a segment (after its init segment) with ffprobe; AssertionError on any error."""
    joined = work / f"{segment.parent.name}-{segment.name}.mp4"
    joined.write_bytes(init.read_bytes() + segment.read_bytes())
    result = subprocess.run(
        [
            str(ffprobe),
            "-v",
            "error",
            "-show_frames",
            "-show_entries",
            "frame=pts_time,key_frame",
            "-of",
            "json",
            str(joined),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), (
        f"{segment} does not decode: {result.stderr.strip()[:500]}"
    )
    frames = sorted(
        (float(f["pts_time"]), f["key_frame"] == 1) for f in json.loads(result.stdout)["frames"]
    )
    assert frames, f"{segment} decodes to no frames"
    return SegmentFrames(
        frames=len(frames),
        first_pts_s=frames[0][0],
        first_is_key=frames[0][1],
        keyframes=sum(1 for _, key in frames if key),
    )


@dataclass(frozen=True)
class Rendition:
    uri: str
    stream_info: m3u8.StreamInfo
    segments: list[SegmentFrames]


def check_hls(
    root: Path, ffprobe: Path, work: Path
) -> tuple[m3u8.M3U8, list[Rendition], list[SegmentFrames]]:
    """Parse the master and every media playlist, decode every segment of every rendition."""
    master = m3u8.load(str(root / "master.m3u8"))
    assert master.is_variant
    renditions = []
    for variant in master.playlists:
        renditions.append(
            Rendition(
                variant.uri,
                variant.stream_info,
                _decode_playlist(root / variant.uri, ffprobe, work),
            )
        )
    audio: list[SegmentFrames] = []
    for media in master.media:
        if media.type == "AUDIO":
            audio = _decode_playlist(root / media.uri, ffprobe, work)
    return master, renditions, audio


def _decode_playlist(path: Path, ffprobe: Path, work: Path) -> list[SegmentFrames]:
    playlist = m3u8.load(str(path))
    assert playlist.is_endlist
    init = path.parent / playlist.segment_map[0].uri
    return [decode_segment(ffprobe, init, path.parent / s.uri, work) for s in playlist.segments]


def mpd_representations(path: Path) -> dict[str, dict[str, str]]:
    """The MPD's representations by id, with their attributes; it must parse as XML."""
    root = ET.parse(path).getroot()
    assert root.tag == "{urn:mpeg:dash:schema:mpd:2011}MPD"
    reps = {}
    for adaptation in root.findall("d:Period/d:AdaptationSet", MPD_NS):
        for rep in adaptation.findall("d:Representation", MPD_NS):
            reps[rep.attrib["id"]] = dict(rep.attrib) | {
                "contentType": adaptation.attrib.get("contentType", "")
            }
    return reps
