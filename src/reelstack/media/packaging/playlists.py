"""Write HLS playlists and the DASH manifest over one set of CMAF segments.

Pure text builders: each takes the packaged tracks (their codec strings,
sizes and per-segment times and byte counts, read from the files
themselves) and returns a document. HLS and DASH point at the same
``init.mp4`` and ``seg_NNNNN.m4s`` files.

Bandwidth figures are measured, not nominal: a variant's BANDWIDTH is the
highest bit rate of any of its segments (plus the audio rendition's), its
AVERAGE-BANDWIDTH the whole track's bits over its duration (RFC 8216 4.3.4.2).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from reelstack.media.packaging.mp4info import SegmentInfo

SEGMENT_PATTERN = "seg_%05d.m4s"
SEGMENT_TEMPLATE = "seg_$Number%05d$.m4s"
INIT_NAME = "init.mp4"
AUDIO_GROUP = "audio"
SUBTITLE_GROUP = "subs"
HLS_VERSION = 7
MPD_NS = "urn:mpeg:dash:schema:mpd:2011"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """HLS AES-128: where players fetch the key. IVs are the segments' sequence numbers."""

    uri: str


@dataclass(frozen=True, slots=True)
class Track:
    """A packaged video or audio rendition: a folder with an init segment and media segments."""

    name: str
    """Its folder under the title's output, e.g. ``v0`` or ``a0``."""
    kind: str
    """``video`` or ``audio``."""
    codec: str
    timescale: int
    segments: tuple[SegmentInfo, ...]
    width: int = 0
    height: int = 0
    fps: Fraction | None = None
    channels: int = 0
    language: str = ""
    label: str = ""

    @property
    def duration_s(self) -> float:
        if not self.segments:
            return 0.0
        last = self.segments[-1]
        return (last.start + last.duration - self.segments[0].start) / self.timescale

    @property
    def peak_bps(self) -> int:
        """The highest bit rate of any one segment."""
        return max(
            (
                math.ceil(s.size * 8 * self.timescale / s.duration)
                for s in self.segments
                if s.duration
            ),
            default=0,
        )

    @property
    def average_bps(self) -> int:
        """All segments' bits over the track's duration."""
        seconds = self.duration_s
        return math.ceil(sum(s.size for s in self.segments) * 8 / seconds) if seconds else 0

    def segment_uri(self, number: int) -> str:
        """A segment's file name in the track's folder."""
        return SEGMENT_PATTERN % number


@dataclass(frozen=True, slots=True)
class SubtitleTrack:
    """A WebVTT rendition: one file covering the whole title."""

    name: str
    """Its folder under the title's output, e.g. ``subs/en``."""
    language: str
    label: str
    file: str = "subtitles.vtt"
    default: bool = False
    forced: bool = False


@dataclass(frozen=True, slots=True)
class Presentation:
    """Everything published for one title."""

    videos: tuple[Track, ...]
    audio: Track | None = None
    subtitles: tuple[SubtitleTrack, ...] = field(default_factory=tuple)

    @property
    def duration_s(self) -> float:
        return max((t.duration_s for t in (*self.videos, *self._audio)), default=0.0)

    @property
    def _audio(self) -> tuple[Track, ...]:
        return (self.audio,) if self.audio is not None else ()


def _quoted(value: str) -> str:
    if any(ch in value for ch in '"\r\n'):
        raise ValueError(f"cannot quote {value!r} in a playlist")
    return f'"{value}"'


def _target_duration(durations: Sequence[float]) -> int:
    # Each EXTINF rounded to the nearest integer must not exceed it.
    return max(1, *(math.floor(d + 0.5) for d in durations)) if durations else 1


def media_playlist(track: Track, *, key: KeyInfo | None = None) -> str:
    """A VOD media playlist over the track's segments (fMP4, independent segments)."""
    durations = [s.duration / track.timescale for s in track.segments]
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{HLS_VERSION}",
        f"#EXT-X-TARGETDURATION:{_target_duration(durations)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        # Before the key: the init segment stays in the clear.
        f"#EXT-X-MAP:URI={_quoted(INIT_NAME)}",
    ]
    if key is not None:
        lines.append(f"#EXT-X-KEY:METHOD=AES-128,URI={_quoted(key.uri)}")
    for number, duration in enumerate(durations):
        lines += [f"#EXTINF:{duration:.6f},", track.segment_uri(number)]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def subtitle_playlist(sub: SubtitleTrack, duration_s: float) -> str:
    """A media playlist holding the whole WebVTT file as its one segment."""
    return "\n".join(
        [
            "#EXTM3U",
            f"#EXT-X-VERSION:{HLS_VERSION}",
            f"#EXT-X-TARGETDURATION:{max(1, math.ceil(duration_s))}",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXTINF:{duration_s:.6f},",
            sub.file,
            "#EXT-X-ENDLIST",
            "",
        ]
    )


def _frame_rate(fps: Fraction | None) -> str | None:
    return None if fps is None else f"{float(fps):.3f}"


def master_playlist(presentation: Presentation) -> str:
    """The multivariant playlist: one variant per video track, audio and subtitles as groups."""
    if not presentation.videos:
        raise ValueError("a presentation needs at least one video track")
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio = presentation.audio
    if audio is not None:
        attrs = [
            "TYPE=AUDIO",
            f"GROUP-ID={_quoted(AUDIO_GROUP)}",
            f"NAME={_quoted(audio.label or 'Audio')}",
        ]
        if audio.language:
            attrs.append(f"LANGUAGE={_quoted(audio.language)}")
        attrs += ["DEFAULT=YES", "AUTOSELECT=YES"]
        if audio.channels:
            attrs.append(f"CHANNELS={_quoted(str(audio.channels))}")
        attrs.append(f"URI={_quoted(audio.name + '/index.m3u8')}")
        lines.append("#EXT-X-MEDIA:" + ",".join(attrs))
    for sub in presentation.subtitles:
        attrs = [
            "TYPE=SUBTITLES",
            f"GROUP-ID={_quoted(SUBTITLE_GROUP)}",
            f"NAME={_quoted(sub.label)}",
            f"LANGUAGE={_quoted(sub.language)}",
            f"DEFAULT={'YES' if sub.default else 'NO'}",
            "AUTOSELECT=YES",
            f"FORCED={'YES' if sub.forced else 'NO'}",
            f"URI={_quoted(sub.name + '/index.m3u8')}",
        ]
        lines.append("#EXT-X-MEDIA:" + ",".join(attrs))
    audio_peak = audio.peak_bps if audio is not None else 0
    audio_average = audio.average_bps if audio is not None else 0
    # H.264 first: a player starts with the first variant it can decode.
    ordered = sorted(presentation.videos, key=lambda t: (not t.codec.startswith("avc"), t.peak_bps))
    for video in ordered:
        codecs = video.codec + (f",{audio.codec}" if audio is not None else "")
        attrs = [
            f"BANDWIDTH={video.peak_bps + audio_peak}",
            f"AVERAGE-BANDWIDTH={video.average_bps + audio_average}",
            f"RESOLUTION={video.width}x{video.height}",
            f"CODECS={_quoted(codecs)}",
        ]
        if (rate := _frame_rate(video.fps)) is not None:
            attrs.append(f"FRAME-RATE={rate}")
        if audio is not None:
            attrs.append(f"AUDIO={_quoted(AUDIO_GROUP)}")
        if presentation.subtitles:
            attrs.append(f"SUBTITLES={_quoted(SUBTITLE_GROUP)}")
        attrs.append("CLOSED-CAPTIONS=NONE")
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attrs), video.name + "/index.m3u8"]
    return "\n".join(lines) + "\n"


def _iso_duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def _timeline(parent: ET.Element, segments: Sequence[SegmentInfo]) -> None:
    timeline = ET.SubElement(parent, "SegmentTimeline")
    run: ET.Element | None = None
    repeat = 0
    expected: int | None = None
    previous: int | None = None
    for seg in segments:
        if run is not None and seg.duration == previous and seg.start == expected:
            repeat += 1
            run.set("r", str(repeat))
        else:
            run = ET.SubElement(timeline, "S", {"d": str(seg.duration)})
            if seg.start != expected:
                run.set("t", str(seg.start))
            repeat = 0
        previous = seg.duration
        expected = seg.start + seg.duration


def _representation(adaptation: ET.Element, track: Track, rep_id: str) -> ET.Element:
    rep = ET.SubElement(
        adaptation,
        "Representation",
        {"id": rep_id, "codecs": track.codec, "bandwidth": str(track.peak_bps)},
    )
    template = ET.SubElement(
        rep,
        "SegmentTemplate",
        {
            "timescale": str(track.timescale),
            "initialization": f"{track.name}/{INIT_NAME}",
            "media": f"{track.name}/{SEGMENT_TEMPLATE}",
            "startNumber": "0",
        },
    )
    _timeline(template, track.segments)
    return rep


def dash_manifest(presentation: Presentation, *, segment_s: float) -> str:
    """A static DASH MPD (ISO live profile, SegmentTemplate with timeline) over the segments."""
    if not presentation.videos:
        raise ValueError("a presentation needs at least one video track")
    mpd = ET.Element(
        "MPD",
        {
            "xmlns": MPD_NS,
            "profiles": "urn:mpeg:dash:profile:isoff-live:2011",
            "type": "static",
            "mediaPresentationDuration": _iso_duration(presentation.duration_s),
            "minBufferTime": _iso_duration(segment_s),
        },
    )
    period = ET.SubElement(mpd, "Period", {"id": "0", "start": "PT0S"})
    by_family: dict[str, list[Track]] = {}
    for video in presentation.videos:
        by_family.setdefault(video.codec.split(".")[0], []).append(video)
    set_id = 0
    for tracks in by_family.values():
        tracks = sorted(tracks, key=lambda t: t.peak_bps)
        attrs = {
            "id": str(set_id),
            "contentType": "video",
            "mimeType": "video/mp4",
            "segmentAlignment": "true",
            "startWithSAP": "1",
            "maxWidth": str(max(t.width for t in tracks)),
            "maxHeight": str(max(t.height for t in tracks)),
        }
        if tracks[0].fps is not None:
            attrs["frameRate"] = f"{tracks[0].fps.numerator}/{tracks[0].fps.denominator}"
        adaptation = ET.SubElement(period, "AdaptationSet", attrs)
        for track in tracks:
            rep = _representation(adaptation, track, track.name)
            rep.set("width", str(track.width))
            rep.set("height", str(track.height))
            rep.set("sar", "1:1")
        set_id += 1
    audio = presentation.audio
    if audio is not None:
        attrs = {
            "id": str(set_id),
            "contentType": "audio",
            "mimeType": "audio/mp4",
            "segmentAlignment": "true",
            "startWithSAP": "1",
        }
        if audio.language:
            attrs["lang"] = audio.language
        adaptation = ET.SubElement(period, "AdaptationSet", attrs)
        rep = _representation(adaptation, audio, audio.name)
        ET.SubElement(
            rep,
            "AudioChannelConfiguration",
            {
                "schemeIdUri": "urn:mpeg:dash:23003:3:audio_channel_configuration:2011",
                "value": str(audio.channels or 2),
            },
        )
        set_id += 1
    for sub in presentation.subtitles:
        adaptation = ET.SubElement(
            period,
            "AdaptationSet",
            {
                "id": str(set_id),
                "contentType": "text",
                "mimeType": "text/vtt",
                "lang": sub.language,
            },
        )
        ET.SubElement(
            adaptation,
            "Role",
            {"schemeIdUri": "urn:mpeg:dash:role:2011", "value": "subtitle"},
        )
        rep = ET.SubElement(
            adaptation, "Representation", {"id": sub.name.replace("/", "-"), "bandwidth": "256"}
        )
        ET.SubElement(rep, "BaseURL").text = f"{sub.name}/{sub.file}"
        set_id += 1
    ET.indent(mpd)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(mpd, encoding="unicode") + "\n"
