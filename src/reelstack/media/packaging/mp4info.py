"""Read what playlists need from CMAF files: codec strings, timescales, segment times and sizes.

Only our own packager's output is read here (an init segment and the
``moof``/``mdat`` media segments after it), never an upload. The reader walks
ISO-BMFF boxes and takes:

- from the init segment: each track's timescale, handler (video/audio), the
  RFC 6381 codec string (``avc1.64001f`` from ``avcC``, ``av01.0.04M.08`` from
  ``av1C``, ``mp4a.40.2`` from ``esds``), picture size, and the default sample
  duration from ``trex``;
- from a media segment: its decode start (``tfdt``) and duration (the sum of
  ``trun`` sample durations, else ``tfhd``'s or ``trex``'s default).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"edts", b"dinf"}
)
_VISUAL_ENTRIES = frozenset({b"avc1", b"avc3", b"av01", b"hvc1", b"hev1", b"encv"})
_AUDIO_ENTRIES = frozenset({b"mp4a", b"enca", b"Opus"})


class Mp4Error(ValueError):
    """A file is not the fragmented MP4 the packager should have written."""


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """One track of an init segment."""

    track_id: int
    kind: str
    """``video`` or ``audio``."""
    timescale: int
    codec: str
    """RFC 6381 codec string for HLS CODECS and DASH @codecs."""
    width: int = 0
    height: int = 0
    channels: int = 0
    sample_rate: int = 0
    default_duration: int = 0


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """One media segment: where it starts and how long it lasts, in its track's timescale."""

    start: int
    duration: int
    size: int


def iter_boxes(
    data: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, payload_start, box_end)`` for each box in ``data[start:end]``."""
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise Mp4Error("truncated large box header")
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise Mp4Error(f"box {kind!r} at {at} overruns its parent")
        yield kind, at + header, at + size
        at += size


def find_boxes(
    data: bytes, path: tuple[bytes, ...], start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Every ``(payload_start, end)`` of boxes at ``path`` (e.g. ``(b"moov", b"trak")``)."""
    found: list[tuple[int, int]] = []
    for kind, body, stop in iter_boxes(data, start, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            found.append((body, stop))
        else:
            found += find_boxes(data, path[1:], body, stop)
    return found


def _first(
    data: bytes, path: tuple[bytes, ...], start: int = 0, end: int | None = None
) -> tuple[int, int]:
    found = find_boxes(data, path, start, end)
    if not found:
        raise Mp4Error(f"no {b'/'.join(path).decode('latin-1')} box")
    return found[0]


def _avc_codec(data: bytes, body: int) -> str:
    # AVCDecoderConfigurationRecord: version, profile, compatibility, level.
    profile, compat, level = data[body + 1], data[body + 2], data[body + 3]
    return f"avc1.{profile:02x}{compat:02x}{level:02x}"


def _av1_codec(data: bytes, body: int) -> str:
    # AV1CodecConfigurationRecord: marker/version, then profile(3) level(5), then
    # tier(1) high_bitdepth(1) twelve_bit(1) ...
    byte1, byte2 = data[body + 1], data[body + 2]
    profile, level = byte1 >> 5, byte1 & 0x1F
    tier = "H" if byte2 & 0x80 else "M"
    depth = 12 if byte2 & 0x20 else (10 if byte2 & 0x40 else 8)
    return f"av01.{profile}.{level:02d}{tier}.{depth:02d}"


def _descriptor(data: bytes, at: int) -> tuple[int, int, int]:
    """An MPEG-4 descriptor at ``at``: (tag, payload start, payload end)."""
    tag = data[at]
    size, at = 0, at + 1
    for _ in range(4):
        byte = data[at]
        at += 1
        size = (size << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return tag, at, at + size


def _mp4a_codec(data: bytes, body: int, end: int) -> str:
    # esds: full box header, then ES_Descriptor(3) > DecoderConfigDescriptor(4)
    # > DecoderSpecificInfo(5), whose first 5 bits are the audio object type.
    tag, at, stop = _descriptor(data, body + 4)
    if tag != 3:
        raise Mp4Error("esds without an ES descriptor")
    flags = data[at + 2]
    at += 3
    if flags & 0x80:
        at += 2
    if flags & 0x40:
        at += 1 + data[at]
    if flags & 0x20:
        at += 2
    tag, at, stop = _descriptor(data, at)
    if tag != 4:
        raise Mp4Error("esds without a decoder config")
    object_type = data[at]
    inner = at + 13
    if inner < stop and data[inner] == 5:
        _, info, _ = _descriptor(data, inner)
        audio_type = data[info] >> 3
        return f"mp4a.{object_type:02x}.{audio_type}"
    return f"mp4a.{object_type:02x}"


def _sample_entry(data: bytes, body: int, end: int) -> tuple[str, int, int, int, int]:
    """The codec string, size and audio format of the first ``stsd`` entry."""
    for kind, entry, stop in iter_boxes(data, body + 8, end):  # skip version/flags/count
        if kind in _VISUAL_ENTRIES:
            width, height = struct.unpack_from(">HH", data, entry + 24)
            children = entry + 78
            for child, child_body, _ in iter_boxes(data, children, stop):
                if child == b"avcC":
                    return _avc_codec(data, child_body), width, height, 0, 0
                if child == b"av1C":
                    return _av1_codec(data, child_body), width, height, 0, 0
            return kind.decode("latin-1"), width, height, 0, 0
        if kind in _AUDIO_ENTRIES:
            channels = struct.unpack_from(">H", data, entry + 16)[0]
            rate = struct.unpack_from(">I", data, entry + 24)[0] >> 16
            for child, child_body, child_end in iter_boxes(data, entry + 28, stop):
                if child == b"esds":
                    return _mp4a_codec(data, child_body, child_end), 0, 0, channels, rate
            return kind.decode("latin-1").lower(), 0, 0, channels, rate
    raise Mp4Error("empty sample description")


def read_init(data: bytes) -> list[TrackInfo]:
    """The tracks of an init segment."""
    defaults: dict[int, int] = {}
    for body, _ in find_boxes(data, (b"moov", b"mvex", b"trex")):
        track_id, _, duration = struct.unpack_from(">III", data, body + 4)
        defaults[track_id] = duration
    tracks = []
    for body, end in find_boxes(data, (b"moov", b"trak")):
        tkhd, _ = _first(data, (b"tkhd",), body, end)
        track_id = struct.unpack_from(">I", data, tkhd + (20 if data[tkhd] == 1 else 12))[0]
        mdia, mdia_end = _first(data, (b"mdia",), body, end)
        mdhd, _ = _first(data, (b"mdhd",), mdia, mdia_end)
        timescale = struct.unpack_from(">I", data, mdhd + (20 if data[mdhd] == 1 else 12))[0]
        hdlr, _ = _first(data, (b"hdlr",), mdia, mdia_end)
        handler = data[hdlr + 8 : hdlr + 12]
        stsd, stsd_end = _first(data, (b"minf", b"stbl", b"stsd"), mdia, mdia_end)
        codec, width, height, channels, rate = _sample_entry(data, stsd, stsd_end)
        kind = {b"vide": "video", b"soun": "audio"}.get(handler, handler.decode("latin-1"))
        tracks.append(
            TrackInfo(
                track_id,
                kind,
                timescale,
                codec,
                width,
                height,
                channels,
                rate,
                defaults.get(track_id, 0),
            )
        )
    if not tracks:
        raise Mp4Error("init segment without tracks")
    return tracks


def read_segment(data: bytes, track: TrackInfo) -> SegmentInfo:
    """Start and duration of a media segment of ``track`` (one or more fragments)."""
    start: int | None = None
    duration = 0
    for moof, moof_end in find_boxes(data, (b"moof",)):
        for traf, traf_end in find_boxes(data, (b"traf",), moof, moof_end):
            tfhd, _ = _first(data, (b"tfhd",), traf, traf_end)
            flags = int.from_bytes(data[tfhd + 1 : tfhd + 4], "big")
            at = tfhd + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            default = track.default_duration
            if flags & 0x08:
                default = struct.unpack_from(">I", data, at)[0]
            tfdt = find_boxes(data, (b"tfdt",), traf, traf_end)
            if tfdt and start is None:
                body = tfdt[0][0]
                fmt = ">Q" if data[body] == 1 else ">I"
                start = struct.unpack_from(fmt, data, body + 4)[0]
            for trun, _ in find_boxes(data, (b"trun",), traf, traf_end):
                duration += _trun_duration(data, trun, default)
    if start is None:
        raise Mp4Error("media segment without a tfdt box")
    return SegmentInfo(start, duration, len(data))


def _trun_duration(data: bytes, body: int, default: int) -> int:
    flags = int.from_bytes(data[body + 1 : body + 4], "big")
    count = int(struct.unpack_from(">I", data, body + 4)[0])
    if not flags & 0x100:
        return count * default
    at = body + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
    stride = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    return sum(int(struct.unpack_from(">I", data, at + i * stride)[0]) for i in range(count))
