"""Join encoded chunks and package a title as CMAF segments with HLS and DASH manifests.

One ffmpeg run joins each rendition's chunks end to end without re-encoding
(ffmpeg's concat demuxer over a list of our own chunk files, each with its
exact duration) and cuts every rendition, and the audio, into fragmented-MP4
segments of ``segment_s`` seconds (the HLS muxer in fMP4 mode; its own
playlists are discarded). The segments' real times and sizes are then read
back, checked to align across renditions, and the playlists written from
them (:mod:`.playlists`): a media playlist per rendition, a WebVTT rendition
per subtitle file, a DASH MPD over the same segments, and the master
playlist.

With a content key, every media segment is encrypted as HLS's AES-128
defines (:mod:`.encryption`); an encrypted title gets no MPD.

:attr:`Packaged.files` lists the outputs in the order to publish them:
segments first, then playlists, the master playlist last, so a player that
finds the master finds everything it names.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from reelstack.errors import ReelstackError
from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.options import CmafSegments
from reelstack.media.ffmpeg.runner import Limits, run
from reelstack.media.ffmpeg.segment import join_segments_argv
from reelstack.media.packaging.chunks import concat_list
from reelstack.media.packaging.encryption import ContentKey, encrypt_segment
from reelstack.media.packaging.mp4info import Mp4Error, SegmentInfo, read_init, read_segment
from reelstack.media.packaging.playlists import (
    INIT_NAME,
    SEGMENT_PATTERN,
    KeyInfo,
    Presentation,
    SubtitleTrack,
    Track,
    dash_manifest,
    master_playlist,
    media_playlist,
    subtitle_playlist,
)

MASTER = "master.m3u8"
MANIFEST = "manifest.mpd"
AUDIO_NAME = "a0"
_MUXER_PLAYLIST = "muxer.m3u8"

Progress = Callable[[float], None]


class PackagingError(ReelstackError):
    """The packaged renditions are not what a player needs (misaligned, missing, damaged)."""


@dataclass(frozen=True, slots=True)
class VideoInput:
    """One video rendition to package: its encoded chunks, in order, with their exact lengths."""

    name: str
    chunks: tuple[Path, ...]
    durations: tuple[float | None, ...]
    """Each chunk's length in seconds; None for the last."""
    fps: Fraction


@dataclass(frozen=True, slots=True)
class SubtitleInput:
    """A WebVTT document to publish as a subtitle rendition."""

    language: str
    label: str
    webvtt: str
    default: bool = False
    forced: bool = False


@dataclass(frozen=True, slots=True)
class Packaged:
    """What packaging wrote under ``root``."""

    root: Path
    presentation: Presentation
    files: tuple[str, ...]
    """Paths relative to ``root``, in publish order (the master playlist last)."""
    master: str = MASTER
    manifest: str | None = MANIFEST
    encrypted: bool = False
    sizes: Mapping[str, int] = field(default_factory=dict)


def package_argv(
    ffmpeg: Path,
    *,
    lists: Sequence[tuple[str, Path]],
    audio: Path | None,
    out_dir: Path,
    segment_s: float,
) -> list[str]:
    """Join each rendition's chunk list and cut it, and the audio, into fMP4 segments.

    ``lists`` are ``(rendition name, ffconcat list)``; outputs go to
    ``out_dir/<name>/``.
    """

    def segments(name: str) -> CmafSegments:
        return CmafSegments(out_dir / name, segment_s, SEGMENT_PATTERN, _MUXER_PLAYLIST, INIT_NAME)

    return join_segments_argv(
        ffmpeg,
        videos=[(listing, segments(name)) for name, listing in lists],
        audio=None if audio is None else (audio, segments(AUDIO_NAME)),
    )


def _read_track(folder: Path, name: str, fps: Fraction | None) -> Track:
    try:
        tracks = read_init((folder / INIT_NAME).read_bytes())
        info = tracks[0]
        segments: list[SegmentInfo] = []
        number = 0
        while (path := folder / (SEGMENT_PATTERN % number)).exists():
            segments.append(read_segment(path.read_bytes(), info))
            number += 1
    except (OSError, Mp4Error) as exc:
        raise PackagingError(f"rendition {name} is unreadable: {exc}") from exc
    if not segments:
        raise PackagingError(f"rendition {name} has no segments")
    return Track(
        name=name,
        kind=info.kind,
        codec=info.codec,
        timescale=info.timescale,
        segments=tuple(segments),
        width=info.width,
        height=info.height,
        fps=fps,
        channels=info.channels,
    )


def check_alignment(videos: Sequence[Track], fps: Fraction) -> None:
    """Raise PackagingError unless every rendition's segments start at the same times."""
    if not videos:
        raise PackagingError("no video renditions")
    reference = videos[0]
    half_frame = 1 / (2 * float(fps))
    for video in videos[1:]:
        if len(video.segments) != len(reference.segments):
            raise PackagingError(
                f"{video.name} has {len(video.segments)} segments, "
                f"{reference.name} has {len(reference.segments)}"
            )
        for number, (a, b) in enumerate(zip(reference.segments, video.segments, strict=True)):
            if abs(a.start / reference.timescale - b.start / video.timescale) > half_frame:
                at_a, at_b = a.start / reference.timescale, b.start / video.timescale
                raise PackagingError(
                    f"segment {number} of {video.name} starts at {at_b:.3f} s, "
                    f"of {reference.name} at {at_a:.3f} s"
                )


def _write(root: Path, relative: str, data: str | bytes) -> str:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return relative


@dataclass(frozen=True, slots=True)
class PackageRequest:
    """What to package: a title's encoded renditions, its audio and subtitles, and where.

    ``work_dir`` holds the chunks and their lists; the outputs go to
    ``out_dir``. ``expected_s`` is the title's length, for progress.
    """

    videos: tuple[VideoInput, ...]
    audio: Path | None
    out_dir: Path
    work_dir: Path
    segment_s: float
    audio_language: str = ""
    subtitles: tuple[SubtitleInput, ...] = ()
    key: ContentKey | None = None
    """Encrypt the segments with this key (HLS AES-128; no DASH manifest then)."""
    expected_s: float | None = None


def _join_and_segment(
    request: PackageRequest, binaries: Binaries, limits: Limits, on_progress: Progress | None
) -> None:
    """Write each rendition's chunk list, then join and segment everything in one ffmpeg run."""
    out_dir = request.out_dir
    lists = []
    for video in request.videos:
        folder = video.chunks[0].parent
        if any(chunk.parent != folder for chunk in video.chunks):
            raise ValueError(f"the chunks of {video.name} must share one folder")
        listing = folder / "chunks.ffconcat"
        listing.write_text(
            concat_list([(c.name, d) for c, d in zip(video.chunks, video.durations, strict=True)])
        )
        lists.append((video.name, listing))
        (out_dir / video.name).mkdir(parents=True, exist_ok=True)
    if request.audio is not None:
        (out_dir / AUDIO_NAME).mkdir(parents=True, exist_ok=True)
    argv = package_argv(
        binaries.ffmpeg,
        lists=lists,
        audio=request.audio,
        out_dir=out_dir,
        segment_s=request.segment_s,
    )
    run(
        argv,
        cwd=request.work_dir,
        limits=limits,
        progress=True,
        duration_s=request.expected_s,
        on_progress=on_progress,
    )


def _audio_track(request: PackageRequest) -> Track | None:
    if request.audio is None:
        return None
    read = _read_track(request.out_dir / AUDIO_NAME, AUDIO_NAME, None)
    language = request.audio_language
    return Track(
        name=read.name,
        kind=read.kind,
        codec=read.codec,
        timescale=read.timescale,
        segments=read.segments,
        channels=read.channels,
        language=language,
        label=_language_label(language) if language else "Audio",
    )


def package(
    request: PackageRequest,
    *,
    binaries: Binaries,
    limits: Limits,
    on_progress: Progress | None = None,
) -> Packaged:
    """Package the renditions as ``request`` says; return what was written, in publish order."""
    if not request.videos:
        raise PackagingError("nothing to package")
    out_dir, key, segment_s = request.out_dir, request.key, request.segment_s
    _join_and_segment(request, binaries, limits, on_progress)
    tracks = [_read_track(out_dir / v.name, v.name, v.fps) for v in request.videos]
    check_alignment(tracks, request.videos[0].fps)
    audio_track = _audio_track(request)
    media = [*tracks, *([audio_track] if audio_track is not None else [])]
    files: list[str] = []
    for track in media:
        os.unlink(out_dir / track.name / _MUXER_PLAYLIST)
        files.append(f"{track.name}/{INIT_NAME}")
        for number in range(len(track.segments)):
            relative = f"{track.name}/{SEGMENT_PATTERN % number}"
            if key is not None:
                path = out_dir / relative
                path.write_bytes(encrypt_segment(path.read_bytes(), key.key, number))
            files.append(relative)
    duration = max(t.duration_s for t in media)
    subtitle_tracks: list[SubtitleTrack] = []
    for sub in request.subtitles:
        sub_track = SubtitleTrack(
            name=_subtitle_folder(sub.language, subtitle_tracks),
            language=sub.language,
            label=sub.label or _language_label(sub.language),
            default=sub.default,
            forced=sub.forced,
        )
        subtitle_tracks.append(sub_track)
        files.append(_write(out_dir, f"{sub_track.name}/{sub_track.file}", sub.webvtt))
    presentation = Presentation(tuple(tracks), audio_track, tuple(subtitle_tracks))
    key_info = KeyInfo(key.uri) if key is not None else None
    for track in media:
        files.append(
            _write(out_dir, f"{track.name}/index.m3u8", media_playlist(track, key=key_info))
        )
    for sub_track in subtitle_tracks:
        files.append(
            _write(out_dir, f"{sub_track.name}/index.m3u8", subtitle_playlist(sub_track, duration))
        )
    manifest = None
    if key is None:
        manifest = _write(out_dir, MANIFEST, dash_manifest(presentation, segment_s=segment_s))
        files.append(manifest)
    files.append(_write(out_dir, MASTER, master_playlist(presentation)))
    sizes = {f: (out_dir / f).stat().st_size for f in files}
    return Packaged(
        root=out_dir,
        presentation=presentation,
        files=tuple(files),
        manifest=manifest,
        encrypted=key is not None,
        sizes=sizes,
    )


def _subtitle_folder(language: str, existing: Sequence[SubtitleTrack]) -> str:
    base = f"subs/{language.lower()}"
    taken = {t.name for t in existing}
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in itertools.count(2) if f"{base}-{n}" not in taken)


_LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "nl": "Nederlands",
    "ja": "日本語",
    "ko": "한국어",
    "zh": "中文",
    "und": "Audio",
}


def _language_label(language: str) -> str:
    return _LANGUAGE_NAMES.get(language.split("-")[0].lower(), language)
