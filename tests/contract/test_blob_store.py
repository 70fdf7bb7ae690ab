"""Contract of the BlobStore port, run against every adapter.

A real engine joins by adding a factory to ``FACTORIES`` (skipping itself
where the engine is not reachable). A factory yields an adapter, not open yet,
on a store of its own: a fresh folder, or a fresh bucket removed afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from reelstack import settings
from reelstack.adapters.blob import local
from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.config import Config
from reelstack.errors import (
    ConfigError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnavailableError,
)
from reelstack.ports import BlobStore
from tests.contract.conftest import barrier, in_processes
from tests.support.engines import require
from tests.support.ports import free_port

KIB = 1024
MIB = 1024 * KIB


@asynccontextmanager
async def _local(tmp_path: Path) -> AsyncIterator[BlobStore]:
    yield LocalBlobStore(tmp_path / "blobs")


def s3_admin(endpoint: str) -> Any:
    """A plain boto3 client, to look at the bucket behind the store's back."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def s3_store(endpoint: str, bucket: str, **options: Any) -> Any:
    from reelstack.adapters.blob.s3 import S3BlobStore

    return S3BlobStore(
        bucket,
        endpoint=endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        **options,
    )


def _empty_and_remove(endpoint: str, bucket: str) -> None:
    admin = s3_admin(endpoint)
    try:
        for upload in admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            admin.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        for page in admin.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                admin.delete_object(Bucket=bucket, Key=item["Key"])
        admin.delete_bucket(Bucket=bucket)
    except admin.exceptions.NoSuchBucket:
        pass


@asynccontextmanager
async def _s3(tmp_path: Path) -> AsyncIterator[BlobStore]:
    """A bucket of its own on the S3 server, emptied and removed afterwards."""
    endpoint = require("REELSTACK_TEST_S3")
    bucket = f"contract-{uuid.uuid4().hex[:20]}"
    try:
        yield s3_store(endpoint, bucket)
    finally:
        await asyncio.to_thread(_empty_and_remove, endpoint, bucket)


FACTORIES: dict[str, Callable[[Path], AbstractAsyncContextManager[BlobStore]]] = {
    "local": _local,
    "s3": _s3,
}


@pytest.fixture(params=sorted(FACTORIES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    async with FACTORIES[request.param](tmp_path) as adapter:
        await adapter.open()
        try:
            yield adapter
        finally:
            await adapter.close()


async def chunks(data: bytes, size: int, *, pause_s: float = 0.0) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        if pause_s:
            await asyncio.sleep(pause_s)
        yield data[start : start + size]


async def failing_after(data: bytes, size: int, count: int) -> AsyncIterator[bytes]:
    for sent, start in enumerate(range(0, len(data), size)):
        if sent == count:
            raise ConnectionResetError("client went away")
        yield data[start : start + size]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- put, get, stat --------------------------------------------------------------


async def test_put_bytes_then_read_and_stat(store: BlobStore) -> None:
    data = os.urandom(100 * KIB)
    before = time.time()
    info = await store.put("titles/1/poster.jpg", data, content_type="image/jpeg")
    assert (info.key, info.size, info.etag, info.content_type) == (
        "titles/1/poster.jpg",
        len(data),
        sha256(data),
        "image/jpeg",
    )
    assert await store.read("titles/1/poster.jpg") == data
    assert await store.stat("titles/1/poster.jpg") == info
    assert before - 5 <= info.modified <= time.time() + 5


async def test_put_streams_an_iterable_of_chunks(store: BlobStore) -> None:
    data = os.urandom(3 * MIB + 17)
    info = await store.put("big.bin", chunks(data, 100 * KIB))
    assert (info.size, info.etag, info.content_type) == (
        len(data),
        sha256(data),
        "application/octet-stream",
    )
    streamed = [chunk async for chunk in store.get("big.bin")]
    assert b"".join(streamed) == data


async def test_an_empty_object_is_an_object(store: BlobStore) -> None:
    info = await store.put("empty", b"")
    assert info.size == 0
    assert await store.read("empty") == b""
    assert (await store.stat("empty")).etag == sha256(b"")


async def test_put_again_replaces_the_object_and_its_metadata(store: BlobStore) -> None:
    await store.put("k", b"first", content_type="text/plain")
    info = await store.put("k", b"second!", content_type="application/json")
    assert await store.read("k") == b"second!"
    assert await store.stat("k") == info
    assert (info.size, info.etag, info.content_type) == (7, sha256(b"second!"), "application/json")


async def test_a_missing_object_is_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        await store.stat("nope")
    with pytest.raises(NotFoundError):
        await store.read("nope")
    stream = store.get("nope/deeper")
    with pytest.raises(NotFoundError):
        await anext(stream)


# -- ranges ----------------------------------------------------------------------


async def test_ranged_reads(store: BlobStore) -> None:
    data = bytes(range(256)) * 40
    await store.put("r", data)
    assert await store.read("r", offset=10, length=5) == data[10:15]
    assert await store.read("r", offset=1000) == data[1000:]
    assert await store.read("r", length=3) == data[:3]
    assert await store.read("r", offset=len(data) - 2, length=100) == data[-2:]
    assert await store.read("r", offset=5, length=0) == b""
    parts = [chunk async for chunk in store.get("r", offset=100, length=4000)]
    assert b"".join(parts) == data[100:4100]


@pytest.mark.parametrize(("offset", "length"), [(10_240, None), (10_241, 5), (-1, None), (0, -1)])
async def test_a_range_past_the_end_or_negative_is_refused(
    store: BlobStore, offset: int, length: int | None
) -> None:
    await store.put("r", b"x" * 10_240)
    with pytest.raises(InvalidRequestError):
        await store.read("r", offset=offset, length=length)


# -- atomic publish ----------------------------------------------------------------


async def test_a_failed_stream_publishes_nothing(store: BlobStore) -> None:
    data = os.urandom(2 * MIB)
    with pytest.raises(ConnectionResetError):
        await store.put("upload.mp4", failing_after(data, 256 * KIB, 5))
    with pytest.raises(NotFoundError):
        await store.stat("upload.mp4")
    assert await store.list() == []
    await store.put("upload.mp4", b"old")
    with pytest.raises(ConnectionResetError):
        await store.put("upload.mp4", failing_after(data, 256 * KIB, 3))
    assert await store.read("upload.mp4") == b"old"
    assert [i.key for i in await store.list()] == ["upload.mp4"]


async def test_a_reader_during_a_slow_put_sees_the_old_or_the_new_object_whole(
    store: BlobStore,
) -> None:
    old, new = b"o" * (512 * KIB), os.urandom(2 * MIB)
    await store.put("movie", old)
    writer = asyncio.create_task(store.put("movie", chunks(new, 64 * KIB, pause_s=0.005)))
    seen: set[str] = set()
    while not writer.done():
        got = await store.read("movie")
        assert got in (old, new), f"a reader saw {len(got)} bytes: a partial object"
        seen.add("old" if got == old else "new")
    info = await writer
    assert "old" in seen, "the put was not slow enough to be observed"
    assert await store.read("movie") == new
    assert (await store.stat("movie")).etag == info.etag == sha256(new)


async def test_a_cancelled_put_publishes_nothing(store: BlobStore) -> None:
    data = os.urandom(MIB)
    started = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield data[:1000]
        started.set()
        await asyncio.sleep(30)
        yield data[1000:]

    task = asyncio.create_task(store.put("cancelled", slow()))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(NotFoundError):
        await store.stat("cancelled")


# -- list, delete ------------------------------------------------------------------------


async def test_list_returns_objects_under_a_prefix_in_key_order(store: BlobStore) -> None:
    for key in ("b/2", "a", "b/10", "b/1", "ba", "c/d/e", "b/0/x"):
        await store.put(key, key.encode())
    assert [i.key for i in await store.list("b/")] == ["b/0/x", "b/1", "b/10", "b/2"]
    assert [i.key for i in await store.list("b")] == ["b/0/x", "b/1", "b/10", "b/2", "ba"]
    assert [i.key for i in await store.list("b/1")] == ["b/1", "b/10"]
    assert [i.key for i in await store.list("b/0/")] == ["b/0/x"]
    everything = await store.list()
    assert [i.key for i in everything] == ["a", "b/0/x", "b/1", "b/10", "b/2", "ba", "c/d/e"]
    assert {i.key: (i.size, i.etag) for i in everything}["c/d/e"] == (5, sha256(b"c/d/e"))
    assert await store.list("zzz/") == []


async def test_delete_removes_the_object_and_tolerates_a_missing_one(store: BlobStore) -> None:
    await store.put("a/b/c", b"1")
    await store.put("a/d", b"2")
    await store.delete("a/b/c")
    with pytest.raises(NotFoundError):
        await store.stat("a/b/c")
    assert [i.key for i in await store.list("a/")] == ["a/d"]
    await store.delete("a/b/c")
    await store.delete("never/was")


# -- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["", "..", "a/../b", "/etc/passwd", "a//b", "a/", "./a", "a\\b", "nul\x00", "ctl\x01x", "\x7f"],
)
async def test_unsafe_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidRequestError):
        await store.put(key, b"x")
    with pytest.raises(InvalidRequestError):
        await store.stat(key)
    with pytest.raises(InvalidRequestError):
        await store.read(key)
    with pytest.raises(InvalidRequestError):
        await store.delete(key)
    assert await store.list() == []


async def test_a_content_type_with_a_line_break_is_refused(store: BlobStore) -> None:
    with pytest.raises(InvalidRequestError):
        await store.put("k", b"x", content_type="text/plain\r\nX-Evil: 1")


async def test_a_local_path_holds_the_object_bytes(store: BlobStore) -> None:
    await store.put("seg/000.m4s", b"segment")
    path = store.local_path("seg/000.m4s")
    if path is not None:
        assert path.read_bytes() == b"segment"


# -- several processes; local folder specifics ---------------------------------------------


def _put_same_key(root: str, rendezvous: str, worker: int, rounds: int) -> str:
    async def main() -> str:
        store = LocalBlobStore(Path(root))
        await store.open()
        data = bytes([worker]) * (768 * KIB + worker)
        barrier(Path(rendezvous), "start", 2)
        for _ in range(rounds):
            await store.put("shared/object.bin", chunks(data, 64 * KIB))
        return sha256(data)

    return asyncio.run(main())


@pytest.mark.slow
async def test_two_processes_putting_one_key_leave_one_whole_object(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    etags = await in_processes(
        _put_same_key, [(str(root), str(tmp_path / "meet"), w, 15) for w in (1, 2)]
    )
    store = LocalBlobStore(root)
    await store.open()
    data = await store.read("shared/object.bin")
    assert sha256(data) in etags
    assert data in (bytes([1]) * (768 * KIB + 1), bytes([2]) * (768 * KIB + 2))
    info = await store.stat("shared/object.bin")
    assert (info.size, info.etag) == (len(data), sha256(data))
    assert [i.key for i in await store.list()] == ["shared/object.bin"]
    assert list((root / ".reelstack" / "tmp").iterdir()) == []


async def test_local_stat_notices_an_object_changed_behind_its_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.open()
    await store.put("k", b"old bytes")
    (tmp_path / "blobs" / "k").write_bytes(b"changed by hand")
    info = await store.stat("k")
    assert (info.size, info.etag) == (15, sha256(b"changed by hand"))


async def test_local_keys_cannot_be_both_an_object_and_a_folder(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.open()
    await store.put("a/b", b"object")
    with pytest.raises(ConflictError, match="a/b"):
        await store.put("a/b/c", b"x")
    await store.put("x/y/z", b"object")
    with pytest.raises(ConflictError, match="x/y"):
        await store.put("x/y", b"x")
    assert [i.key for i in await store.list()] == ["a/b", "x/y/z"]


async def test_local_keys_may_not_enter_the_store_folder(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.open()
    with pytest.raises(InvalidRequestError, match="reserved"):
        await store.put(".reelstack/tmp/x", b"x")


def test_from_url_builds_the_store_from_its_setting(tmp_path: Path) -> None:
    config = Config.load(settings.REGISTRY, environ={"REELSTACK_HOME": str(tmp_path)})
    assert local.from_url(config.get(settings.BLOB_URL), config).root == tmp_path / "blobs"
    assert local.from_url("file:///srv/blobs", config).root == Path("/srv/blobs")
    with pytest.raises(ConfigError, match=r"blob\.url"):
        local.from_url("file://host/srv/blobs", config)


# -- S3 specifics ----------------------------------------------------------------------------


@pytest.fixture
async def bucket() -> AsyncIterator[tuple[str, str]]:
    """The S3 endpoint and a fresh bucket name, emptied and removed afterwards."""
    endpoint = require("REELSTACK_TEST_S3")
    name = f"contract-{uuid.uuid4().hex[:20]}"
    try:
        yield endpoint, name
    finally:
        await asyncio.to_thread(_empty_and_remove, endpoint, name)


def _leftovers(endpoint: str, bucket: str) -> tuple[list[str], list[str]]:
    """Every object key in the bucket (temporary ones too) and every open upload."""
    admin = s3_admin(endpoint)
    keys = [i["Key"] for i in admin.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [u["Key"] for u in admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return keys, uploads


async def test_s3_a_multipart_put_failing_mid_stream_leaves_no_object_and_no_upload(
    bucket: tuple[str, str],
) -> None:
    endpoint, name = bucket
    store = s3_store(endpoint, name, part_size=5 * MIB)
    await store.open()
    try:
        data = os.urandom(16 * MIB)
        # 45 chunks of 256 KiB: two parts are uploaded (or on their way) when it fails.
        with pytest.raises(ConnectionResetError):
            await store.put("movie.mp4", failing_after(data, 256 * KIB, 45))
        with pytest.raises(NotFoundError):
            await store.stat("movie.mp4")
        assert await asyncio.to_thread(_leftovers, endpoint, name) == ([], [])

        started = asyncio.Event()

        async def stalls() -> AsyncIterator[bytes]:
            async for chunk in chunks(data[: 11 * MIB], 256 * KIB):
                yield chunk
            started.set()
            await asyncio.sleep(30)
            yield b"never"

        task = asyncio.create_task(store.put("movie.mp4", stalls()))
        await asyncio.wait_for(started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(_leftovers, endpoint, name) == ([], [])
    finally:
        await store.close()


@pytest.mark.parametrize("copy_in_parts", [False, True])
async def test_s3_a_large_put_goes_in_parts_and_publishes_with_its_metadata(
    bucket: tuple[str, str], copy_in_parts: bool
) -> None:
    endpoint, name = bucket
    options: dict[str, Any] = {"part_size": 5 * MIB}
    if copy_in_parts:
        # As an object over CopyObject's 5 GiB limit is published.
        options |= {"single_copy_limit": 5 * MIB, "copy_part_size": 5 * MIB}
    store = s3_store(endpoint, name, **options)
    await store.open()
    try:
        data = os.urandom(11 * MIB + 3)
        info = await store.put(
            "titles/9/source.mp4", chunks(data, 300 * KIB), content_type="video/mp4"
        )
        assert (info.size, info.etag, info.content_type) == (len(data), sha256(data), "video/mp4")
        assert await store.stat("titles/9/source.mp4") == info
        assert await store.read("titles/9/source.mp4") == data
        assert (
            await store.read("titles/9/source.mp4", offset=6 * MIB, length=10)
            == data[6 * MIB : 6 * MIB + 10]
        )
        admin = s3_admin(endpoint)
        head = await asyncio.to_thread(admin.head_object, Bucket=name, Key="titles/9/source.mp4")
        assert head["ContentType"] == "video/mp4"
        assert head["Metadata"]["sha256"] == sha256(data)
        keys, uploads = await asyncio.to_thread(_leftovers, endpoint, name)
        assert (keys, uploads) == (["titles/9/source.mp4"], []), "temporary parts were left"
    finally:
        await store.close()


async def test_s3_stores_with_a_prefix_share_a_bucket_apart(bucket: tuple[str, str]) -> None:
    endpoint, name = bucket
    first = s3_store(endpoint, name, prefix="tenant-a")
    second = s3_store(endpoint, name, prefix="tenant-b/")
    await first.open()
    await second.open()
    try:
        await first.put("k", b"a")
        await second.put("k", b"b")
        assert (await first.read("k"), await second.read("k")) == (b"a", b"b")
        assert [i.key for i in await first.list()] == ["k"]
        keys, _ = await asyncio.to_thread(_leftovers, endpoint, name)
        assert keys == ["tenant-a/k", "tenant-b/k"]
    finally:
        await first.close()
        await second.close()


async def test_s3_a_missing_bucket_is_refused_unless_it_may_be_created(
    bucket: tuple[str, str],
) -> None:
    endpoint, name = bucket
    with pytest.raises(UnavailableError, match=name):
        await s3_store(endpoint, name, create_bucket=False).open()
    store = s3_store(endpoint, name)
    await store.open()
    await store.ping()
    await store.close()


async def test_s3_an_unreachable_endpoint_is_unavailable() -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    store = s3_store(endpoint, "nowhere", connect_timeout_s=1)
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
        await store.open()
    with pytest.raises(UnavailableError):
        await store.ping()


def test_s3_from_url_reads_the_bucket_prefix_options_and_settings(tmp_path: Path) -> None:
    pytest.importorskip("aiobotocore")
    from reelstack.adapters.blob import s3

    environ = {
        "REELSTACK_HOME": str(tmp_path),
        "REELSTACK_BLOB_S3_PART_SIZE": str(16 * MIB),
        "REELSTACK_BLOB_S3_CREATE_BUCKET": "false",
        "REELSTACK_BLOB_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "REELSTACK_BLOB_S3_SECRET_ACCESS_KEY": "very-secret",
    }
    config = Config.load(settings.REGISTRY, environ=environ)
    store = s3.from_url(
        "s3://videos/prod/origin?endpoint=http://127.0.0.1:9000&region=eu-west-1", config
    )
    assert (store.bucket, store.prefix, store.endpoint, store.region, store.addressing) == (
        "videos",
        "prod/origin/",
        "http://127.0.0.1:9000",
        "eu-west-1",
        "path",
    )
    assert (store.part_size, store.create_bucket) == (16 * MIB, False)
    assert "very-secret" not in repr(config.get(settings.BLOB_S3_SECRET_ACCESS_KEY))
    aws = s3.from_url("s3://videos", Config.load(settings.REGISTRY, environ={}))
    assert (aws.prefix, aws.endpoint, aws.addressing, aws.part_size) == ("", None, "auto", 8 * MIB)
    for bad in ("s3://Bad_Bucket", "s3://videos?colour=red", "s3://videos/a/../b", "s3://"):
        with pytest.raises(ConfigError, match=r"blob\.url"):
            s3.from_url(bad, config)
    with pytest.raises(ConfigError, match=r"blob\.s3_part_size"):
        Config.load(settings.REGISTRY, environ={"REELSTACK_BLOB_S3_PART_SIZE": "1024"}).get(
            settings.BLOB_S3_PART_SIZE
        )
