"""The tus upload store (offsets, locking, checksums, expiry) and tus header values."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelstack.errors import InvalidRequestError, NotFoundError
from reelstack.media.ingest.uploads import (
    Checksum,
    ChecksumMismatch,
    OffsetMismatch,
    TooLarge,
    UploadGone,
    UploadLocked,
    UploadStore,
    encode_metadata,
    parse_checksum,
    parse_metadata,
)


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.fixture
def store(tmp_path: Path) -> UploadStore:
    made = UploadStore(tmp_path / "uploads", expiry_s=3600)
    made.open()
    return made


async def test_appends_move_the_offset_and_complete_the_upload(store: UploadStore) -> None:
    info = store.create(length=6, metadata={"title": "x"}, title_id="t1")
    assert (info.offset, info.complete, info.title_id) == (0, False, "t1")
    info = await store.append(info.id, offset=0, chunks=chunks(b"abc"))
    assert info.offset == 3
    with pytest.raises(OffsetMismatch):
        await store.append(info.id, offset=0, chunks=chunks(b"zzz"))
    with pytest.raises(TooLarge):
        await store.append(info.id, offset=3, chunks=chunks(b"de", b"fgh"))
    assert store.info(info.id).offset == 5  # what fitted was kept
    info = await store.append(info.id, offset=5, chunks=chunks(b"f"))
    assert info.complete
    assert store.data_path(info.id).read_bytes() == b"abcdef"


async def test_a_chunk_that_fails_its_checksum_is_dropped_whole(store: UploadStore) -> None:
    info = store.create(length=10, metadata={})
    wrong = Checksum("sha1", hashlib.sha1(b"nope").digest())
    with pytest.raises(ChecksumMismatch):
        await store.append(info.id, offset=0, chunks=chunks(b"hello"), checksum=wrong)
    assert store.info(info.id).offset == 0
    right = Checksum("sha256", hashlib.sha256(b"hello").digest())
    assert (
        await store.append(info.id, offset=0, chunks=chunks(b"hel", b"lo"), checksum=right)
    ).offset == 5


async def test_a_second_writer_is_refused_while_the_first_writes(store: UploadStore) -> None:
    info = store.create(length=10, metadata={})
    release, wrote = asyncio.Event(), asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"ab"
        wrote.set()  # the store asks for more once "ab" is written
        await release.wait()
        yield b"cd"

    first = asyncio.create_task(store.append(info.id, offset=0, chunks=slow()))
    await wrote.wait()
    assert store.info(info.id).offset == 2
    with pytest.raises(UploadLocked):
        await store.append(info.id, offset=2, chunks=chunks(b"xx"))
    release.set()
    assert (await first).offset == 4


async def test_unfinished_uploads_expire_and_unknown_ids_are_not_found(store: UploadStore) -> None:
    info = store.create(length=10, metadata={})
    old = time.time() - 7200
    os.utime(store.data_path(info.id), (old, old))
    with pytest.raises(UploadGone):
        store.info(info.id)
    assert store.expired() == [info.id]
    store.delete(info.id)
    assert store.ids() == []
    for bad in ("nope", "../" + "0" * 30, base64.b16encode(b"x" * 16).decode()):
        with pytest.raises(NotFoundError):
            store.info(bad)


def test_tus_metadata_round_trip_and_refusals() -> None:
    data = {"title": "Été à Paris", "genres": "Drama,Romance", "empty": ""}
    assert parse_metadata(encode_metadata(data)) == data
    assert parse_metadata("flag") == {"flag": ""}
    with pytest.raises(InvalidRequestError):
        parse_metadata("a !!!notbase64")
    with pytest.raises(InvalidRequestError):
        parse_metadata(f"a {base64.b64encode(b'x').decode()},a {base64.b64encode(b'y').decode()}")
    assert (
        parse_checksum("sha1 " + base64.b64encode(b"12345678901234567890").decode()).algorithm
        == "sha1"
    )
    with pytest.raises(InvalidRequestError):
        parse_checksum("crc32 AAAA")
