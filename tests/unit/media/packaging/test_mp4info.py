"""Reading CMAF boxes: codec strings from init segments, times and sizes of segments."""

from __future__ import annotations

import struct

import pytest

from reelstack.media.packaging.mp4info import Mp4Error, SegmentInfo, read_init, read_segment


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def _trak(track_id: int, timescale: int, handler: bytes, entry: bytes) -> bytes:
    tkhd = full(b"tkhd", 0, 3, struct.pack(">III", 0, 0, track_id) + bytes(68))
    mdhd = full(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, timescale, 0) + bytes(4))
    hdlr = full(b"hdlr", 0, 0, bytes(4) + handler + bytes(12) + b"x\x00")
    stsd = full(b"stsd", 0, 0, struct.pack(">I", 1) + entry)
    stbl = box(b"stbl", stsd)
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + box(b"minf", stbl)))


def video_init(default_duration: int = 0) -> bytes:
    avcc = box(b"avcC", bytes([1, 0x64, 0x00, 0x1F, 0xFF]))
    visual = bytes(24) + struct.pack(">HH", 640, 360) + bytes(50)
    trex = full(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, default_duration, 0, 0))
    return box(b"ftyp", b"iso6") + box(
        b"moov",
        box(b"mvex", trex) + _trak(1, 30000, b"vide", box(b"avc1", visual + avcc)),
    )


def audio_init() -> bytes:
    decoder_info = bytes([5, 2, 0x12, 0x10])  # AAC LC (object type 2), 48 kHz stereo
    config = bytes([4, 13 + len(decoder_info), 0x40, 0x15]) + bytes(11) + decoder_info
    es = bytes([3, 3 + len(config), 0, 1, 0]) + config
    esds = full(b"esds", 0, 0, es)
    entry = bytes(16) + struct.pack(">HHHHI", 2, 16, 0, 0, 48000 << 16) + esds
    return box(b"moov", _trak(2, 48000, b"soun", box(b"mp4a", entry)))


def segment(base: int, durations: list[int] | None, count: int = 3) -> bytes:
    tfhd = full(b"tfhd", 0, 0x020000, struct.pack(">I", 1))
    tfdt = full(b"tfdt", 1, 0, struct.pack(">Q", base))
    if durations is None:
        trun = full(b"trun", 0, 0x200, struct.pack(">I", count) + bytes(4 * count))
    else:
        rows = b"".join(struct.pack(">II", d, 100) for d in durations)
        trun = full(b"trun", 0, 0x300, struct.pack(">I", len(durations)) + rows)
    moof = box(
        b"moof", full(b"mfhd", 0, 0, struct.pack(">I", 1)) + box(b"traf", tfhd + tfdt + trun)
    )
    return moof + box(b"mdat", bytes(300))


def test_init_segment_gives_codec_strings_from_the_real_configuration() -> None:
    (video,) = read_init(video_init())
    assert (video.kind, video.codec, video.timescale) == ("video", "avc1.64001f", 30000)
    assert (video.width, video.height) == (640, 360)
    (audio,) = read_init(audio_init())
    assert (audio.kind, audio.codec, audio.timescale) == ("audio", "mp4a.40.2", 48000)
    assert (audio.channels, audio.sample_rate) == (2, 48000)


def test_segment_start_and_duration_come_from_tfdt_and_trun() -> None:
    (video,) = read_init(video_init())
    data = segment(120120, [1001, 1001, 1001])
    assert read_segment(data, video) == SegmentInfo(120120, 3003, len(data))
    # Without per-sample durations, trex's default applies.
    (with_default,) = read_init(video_init(default_duration=1001))
    assert read_segment(segment(0, None, count=4), with_default).duration == 4004


def test_damaged_boxes_are_refused() -> None:
    with pytest.raises(Mp4Error):
        read_init(video_init()[:-10])
    (video,) = read_init(video_init())
    with pytest.raises(Mp4Error):
        read_segment(box(b"mdat", bytes(10)), video)
