"""Sniffing decides the container from bytes, never from the name."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from reelstack.media.ffmpeg.options import Container
from reelstack.media.ffmpeg.sniff import sniff_bytes, sniff_file


def ftyp(brand: bytes, *compatible: bytes) -> bytes:
    body = brand + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


def ebml(doctype: bytes) -> bytes:
    # EBML header: version elements elided, then DocType (0x4282) with a 1-byte size.
    body = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + b"\x18\x53\x80\x67"


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), Container.MP4),
        (ftyp(b"qt  ", b"qt  "), Container.MP4),
        (ftyp(b"mp42", b"mp42", b"isom"), Container.MP4),
        (struct.pack(">I", 8) + b"wide" + struct.pack(">I", 100) + b"mdat", Container.MP4),
        (ebml(b"matroska"), Container.MATROSKA),
        (ebml(b"webm"), Container.MATROSKA),
    ],
)
def test_video_containers(head: bytes, container: Container) -> None:
    found = sniff_bytes(head + bytes(64))
    assert (found.container, found.kind) == (container, "video")


@pytest.mark.parametrize(
    ("head", "kind", "words"),
    [
        (b"", "empty", "empty"),
        (b"#EXTM3U\n#EXTINF:2,\nhttp://example.com/a.ts\n", "playlist", "HLS"),
        (b"\xef\xbb\xbf\n  #EXTM3U\n", "playlist", "HLS"),
        (b"ffconcat version 1.0\nfile a.mp4\n", "playlist", "ffconcat"),
        (b'<?xml version="1.0"?><MPD>', "playlist", "DASH"),
        (b"<MPD xmlns='urn:mpeg:dash:schema:mpd:2011'>", "playlist", "DASH"),
        (b"file 'a.mp4'\nfile 'b.mp4'\n", "text", "text"),
        ("café, naïve — text\n".encode() * 50, "text", "text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(32), "image", "PNG"),
        (b"\xff\xd8\xff\xe0" + bytes(32), "image", "JPEG"),
        (b"GIF89a" + bytes(32), "image", "GIF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", "WebP"),
        (ftyp(b"avif", b"avif", b"mif1", b"miaf"), "image", "AVIF"),
        (ftyp(b"heic", b"mif1", b"heic"), "image", "HEIF"),
        (ftyp(b"mif1", b"mif1", b"avif"), "image", "HEIF/AVIF"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "container", "AVI"),
        ((b"\x47" + bytes(187)) * 3, "container", "transport stream"),
        (ebml(b"weird"), "container", "EBML"),
        (b"ID3\x04\x00" + bytes(32), "audio", "MP3"),
        (b"%PDF-1.7", "document", "PDF"),
        (b"\x7fELF\x02\x01", "executable", "executable"),
        (bytes(range(256)) * 4, "unknown", "not a recognised"),
    ],
)
def test_everything_else_is_named(head: bytes, kind: str, words: str) -> None:
    found = sniff_bytes(head)
    assert found.container is None
    assert found.kind == kind
    assert words in found.detail


def test_absurd_ftyp_box_is_damaged() -> None:
    head = struct.pack(">I", 1 << 20) + b"ftypisom" + bytes(64)
    assert sniff_bytes(head).container is None


def test_text_cut_inside_a_multibyte_character_is_still_text() -> None:
    head = ("é" * 3000).encode()[:4095]
    assert sniff_bytes(head).kind == "text"


def test_sniff_file_ignores_the_name(tmp_path: Path) -> None:
    path = tmp_path / "film.mp4"
    path.write_bytes(ebml(b"matroska") + bytes(100))
    assert sniff_file(path).container is Container.MATROSKA
