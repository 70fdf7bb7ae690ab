"""S3BlobStore: objects in an S3 bucket (AWS S3, MinIO, Ceph, any S3 API).

URL: ``s3://BUCKET[/PREFIX][?endpoint=http://HOST:PORT&region=REGION&addressing=path]``.
Key ``titles/7/source.mp4`` is the S3 object ``PREFIX/titles/7/source.mp4``.
``endpoint`` points at a server other than AWS (path-style addressing is then
the default, as MinIO and Ceph want); ``region`` defaults to botocore's
(``AWS_DEFAULT_REGION``, else us-east-1). Credentials come from the settings
``blob.s3_access_key_id`` and ``blob.s3_secret_access_key`` when set, else from
botocore's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``~/.aws``, an instance role).

Metadata, as the local store keeps it: the SHA-256 of the bytes (the etag
reelstack uses everywhere) and the publish time travel with the object as
user metadata (``x-amz-meta-sha256``, ``x-amz-meta-modified``), the content
type as the object's ``Content-Type``. Objects written by other tools, without
them, report S3's ETag and LastModified instead.

A put streams the data in and publishes atomically. Up to ``part_size`` bytes
it is one PutObject. A larger object goes up as a multipart upload to a
temporary key under ``PREFIX/.reelstack/tmp/`` (its SHA-256 is known only at
the end, and S3 metadata is fixed when an upload begins), then is copied
server-side to its key with its metadata, which publishes it whole in one
step, and the temporary object is deleted. A failed or cancelled put aborts
its upload and deletes its temporary object, so no part of it is ever visible
and no upload is left dangling; ``open`` sweeps what a crashed process left
behind after an hour.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.session import get_session  # type: ignore[import-untyped]

from reelstack import settings
from reelstack.adapters.blob import s3_upload
from reelstack.adapters.blob.s3_upload import VENDOR_ERRORS, MultipartUpload, settle, translate
from reelstack.config import Config
from reelstack.errors import ConfigError, InvalidRequestError, NotFoundError, UnavailableError
from reelstack.ports.blob import BlobInfo
from reelstack.ports.blob_keys import (
    RESERVED,
    check_content_type,
    check_key,
    check_prefix,
    check_range,
)

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3's smallest part but the last
PART_SIZE = 8 * MIB
CHUNK = MIB
SINGLE_COPY_LIMIT = 5 * 1024 * MIB  # CopyObject's limit; beyond it, copy in parts
COPY_PART_SIZE = 512 * MIB
MAX_PARTS = 10_000
STALE_TEMP_S = 3600.0
HEADS_AT_ONCE = 16
DEFAULT_TYPE = "application/octet-stream"
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
URL_OPTIONS = ("endpoint", "region", "addressing")


class S3BlobStore:
    """The BlobStore port on one S3 bucket (and an optional key prefix).

    ``part_size`` is the size of each uploaded part (at least 5 MiB) and the
    largest object sent in one PutObject; ``create_bucket`` lets ``open``
    create a missing bucket. Pass credentials or leave them to botocore.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint: str | None = None,
        region: str | None = None,
        addressing: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_size: int = PART_SIZE,
        create_bucket: bool = True,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        single_copy_limit: int = SINGLE_COPY_LIMIT,
        copy_part_size: int = COPY_PART_SIZE,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise InvalidRequestError(f"part_size must be >= {MIN_PART_SIZE}, got {part_size}")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint = endpoint
        self.region = region
        self.addressing = addressing or ("path" if endpoint else "auto")
        self.part_size = part_size
        self.create_bucket = create_bucket
        self.single_copy_limit = single_copy_limit
        self.copy_part_size = max(copy_part_size, MIN_PART_SIZE)
        self._credentials = {
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }
        self._config = AioConfig(
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=32,
            s3={"addressing_style": self.addressing},
        )
        self._client: Any = None
        self._stack: contextlib.AsyncExitStack | None = None

    @property
    def where(self) -> str:
        """The store for messages: bucket, prefix and endpoint."""
        at = f" at {self.endpoint}" if self.endpoint else ""
        return f"s3://{self.bucket}/{self.prefix}{at}"

    @property
    def client(self) -> Any:
        if self._client is None:
            raise UnavailableError(f"blob store {self.where} is not open")
        return self._client

    # -- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        if self._client is not None:
            return
        stack = contextlib.AsyncExitStack()
        opened = False
        try:
            self._client = await stack.enter_async_context(
                get_session().create_client(
                    "s3",
                    endpoint_url=self.endpoint,
                    region_name=self.region,
                    config=self._config,
                    **self._credentials,
                )
            )
            await self._ensure_bucket()
            opened = True
        except VENDOR_ERRORS as exc:
            raise UnavailableError(f"blob store {self.where}: cannot open: {exc}") from exc
        finally:
            if opened:
                self._stack = stack
            else:
                self._client = None
                await stack.aclose()
        await self._sweep()

    async def _ensure_bucket(self) -> None:
        try:
            await self.client.head_bucket(Bucket=self.bucket)
            return
        except VENDOR_ERRORS as exc:
            if s3_upload.error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
        if not self.create_bucket:
            raise UnavailableError(
                f"blob store {self.where}: the bucket does not exist"
                " (and blob.s3_create_bucket is false)"
            )
        create: dict[str, Any] = {"Bucket": self.bucket}
        region = self.client.meta.region_name
        if region and region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            await self.client.create_bucket(**create)
        except VENDOR_ERRORS as exc:
            # Another process created it first: just as good.
            if s3_upload.error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
        log.info("blob store: created bucket %s", self.bucket)

    async def _sweep(self) -> None:
        """Abort uploads and delete temporary objects that crashed puts left behind."""
        temp = self._temp_prefix()
        cutoff = time.time() - STALE_TEMP_S
        try:
            listed = await self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=temp)
            for upload in listed.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    await self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
            async for page in self._pages(temp):
                for item in page:
                    if item["LastModified"].timestamp() < cutoff:
                        await self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
        except VENDOR_ERRORS as exc:
            log.warning("blob store %s: could not sweep %s: %s", self.where, temp, exc)

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def ping(self) -> None:
        try:
            await self.client.head_bucket(Bucket=self.bucket)
        except VENDOR_ERRORS as exc:
            raise UnavailableError(f"blob store {self.where}: {exc}") from exc

    # -- writing -------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_TYPE,
    ) -> BlobInfo:
        check_key(key)
        check_content_type(content_type)
        client = self.client
        digest = hashlib.sha256()
        buffer = bytearray()
        size = 0
        upload: MultipartUpload | None = None
        published = False
        try:
            async for chunk in _chunks(data, self.part_size):
                digest.update(chunk)
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= self.part_size:
                    if upload is None:
                        upload = MultipartUpload(client, self.bucket, self._temp_key())
                        await upload.start()
                    await upload.add(bytes(buffer[: self.part_size]))
                    del buffer[: self.part_size]
            etag = digest.hexdigest()
            if upload is None:
                info = await self._put_small(key, bytes(buffer), etag, content_type)
            else:
                if buffer:
                    await upload.add(bytes(buffer))
                buffer = bytearray()
                await upload.complete()
                info = await self._publish_copy(key, upload.key, size, etag, content_type)
            published = True
            return info
        except VENDOR_ERRORS as exc:
            raise translate(exc, f"blob {key!r} in {self.where}") from exc
        finally:
            if not published and upload is not None:
                failed = upload
                await settle(lambda: self._discard(failed), f"clean up the failed put of {key!r}")

    async def _put_small(self, key: str, body: bytes, etag: str, content_type: str) -> BlobInfo:
        modified = time.time()
        await self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=body,
            ContentType=content_type,
            Metadata=_metadata(etag, modified),
        )
        return BlobInfo(key, len(body), etag, content_type, modified)

    async def _publish_copy(
        self, key: str, temp: str, size: int, etag: str, content_type: str
    ) -> BlobInfo:
        """Copy the uploaded temporary object to ``key`` with its metadata, published whole."""
        modified = time.time()
        target = self.prefix + key
        source = {"Bucket": self.bucket, "Key": temp}
        headers = {"ContentType": content_type, "Metadata": _metadata(etag, modified)}
        if size <= self.single_copy_limit:
            await self.client.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource=source,
                MetadataDirective="REPLACE",
                **headers,
            )
        else:
            step = max(self.copy_part_size, -(-size // MAX_PARTS))
            copy = MultipartUpload(self.client, self.bucket, target, **headers)
            copied = False
            try:
                await copy.start()
                for first in range(0, size, step):
                    await copy.copy(source, first, min(size, first + step) - 1)
                await copy.complete()
                copied = True
            finally:
                if not copied:
                    await settle(copy.abort, f"abort the copy to {key!r}")
        await self.client.delete_object(Bucket=self.bucket, Key=temp)
        return BlobInfo(key, size, etag, content_type, modified)

    async def _discard(self, upload: MultipartUpload) -> None:
        await upload.abort()
        # The upload may have completed before the copy failed.
        await self.client.delete_object(Bucket=self.bucket, Key=upload.key)

    async def delete(self, key: str) -> None:
        check_key(key)
        try:
            await self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except VENDOR_ERRORS as exc:
            raise translate(exc, f"blob {key!r} in {self.where}") from exc

    # -- reading -------------------------------------------------------------------

    async def get(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        check_key(key)
        check_range(offset, length)
        if length == 0:
            # S3 cannot express an empty range: check the key and the offset instead.
            info = await self.stat(key)
            _check_offset(key, offset, info.size)
            return
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self.prefix + key}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            request["Range"] = f"bytes={offset}-{end}"
        try:
            response = await self.client.get_object(**request)
        except VENDOR_ERRORS as exc:
            if offset == 0 and s3_upload.status_of(exc) == 416:
                return  # a range from 0 is refused only on an empty object
            raise translate(exc, f"blob {key!r} in {self.where}") from exc
        body = response["Body"]
        try:
            while chunk := await body.read(CHUNK):
                yield chunk
        except VENDOR_ERRORS as exc:
            raise translate(exc, f"reading blob {key!r} from {self.where}") from exc
        finally:
            body.close()

    async def read(self, key: str, *, offset: int = 0, length: int | None = None) -> bytes:
        return b"".join([chunk async for chunk in self.get(key, offset=offset, length=length)])

    async def stat(self, key: str) -> BlobInfo:
        check_key(key)
        return await self._head(key)

    async def _head(self, key: str) -> BlobInfo:
        try:
            head = await self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except VENDOR_ERRORS as exc:
            raise translate(exc, f"blob {key!r} in {self.where}") from exc
        meta = head.get("Metadata", {})
        etag = meta.get("sha256") or str(head.get("ETag", "")).strip('"')
        try:
            modified = float(meta["modified"])
        except (KeyError, ValueError):
            modified = head["LastModified"].timestamp()
        content_type = head.get("ContentType") or DEFAULT_TYPE
        return BlobInfo(key, int(head["ContentLength"]), etag, content_type, modified)

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        check_prefix(prefix)
        keys: builtins.list[str] = []
        try:
            async for page in self._pages(self.prefix + prefix):
                for item in page:
                    key = item["Key"][len(self.prefix) :]
                    if not key.startswith(RESERVED + "/"):
                        keys.append(key)
        except VENDOR_ERRORS as exc:
            raise translate(exc, f"listing {prefix!r} in {self.where}") from exc
        # S3 lists keys in UTF-8 byte order, as the port wants; the metadata
        # (etag, type) is only in each object's headers.
        gate = asyncio.Semaphore(HEADS_AT_ONCE)

        async def head(key: str) -> BlobInfo | None:
            async with gate:
                try:
                    return await self._head(key)
                except NotFoundError:
                    return None  # deleted while we listed

        infos = await asyncio.gather(*(head(key) for key in keys))
        return [info for info in infos if info is not None]

    async def _pages(self, prefix: str) -> AsyncIterator[builtins.list[dict[str, Any]]]:
        paginator = self.client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            yield page.get("Contents", [])

    def local_path(self, key: str) -> Path | None:
        """Return None: objects in S3 are not files here."""
        check_key(key)
        return None

    # -- helpers -------------------------------------------------------------------

    def _temp_prefix(self) -> str:
        return f"{self.prefix}{RESERVED}/tmp/"

    def _temp_key(self) -> str:
        return f"{self._temp_prefix()}{uuid.uuid4().hex}.part"


def _metadata(etag: str, modified: float) -> dict[str, str]:
    return {"sha256": etag, "modified": repr(modified)}


async def _chunks(data: bytes | AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """The data as chunks of at most ``size`` bytes (bytes are sliced, streams passed on)."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    async for chunk in data:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidRequestError(f"blob data must be bytes, got {type(chunk).__name__}")
        yield bytes(chunk)


def _check_offset(key: str, offset: int, size: int) -> None:
    # As the local store: a range may start at the end only of an empty object.
    if offset > size or (offset == size and size > 0):
        raise InvalidRequestError(
            f"range starting at {offset} is past the end of {key!r} ({size} bytes)"
        )


def from_url(url: str, config: Config) -> S3BlobStore:
    """Build an S3BlobStore from ``s3://BUCKET[/PREFIX][?endpoint=...&region=...]``."""

    def invalid(reason: str) -> ConfigError:
        source = config.resolved(settings.BLOB_URL).source
        return ConfigError(settings.BLOB_URL.key, url, source, reason)

    parts = urlsplit(url)
    bucket = parts.netloc
    if not BUCKET_NAME.match(bucket) or ".." in bucket:
        raise invalid("expected s3://BUCKET[/PREFIX] with a valid bucket name")
    prefix = unquote(parts.path).strip("/")
    if prefix:
        try:
            check_prefix(prefix + "/")
        except InvalidRequestError as exc:
            raise invalid(f"invalid prefix: {exc}") from None
    options = dict(parse_qsl(parts.query))
    unknown = sorted(set(options) - set(URL_OPTIONS))
    if unknown:
        raise invalid(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(URL_OPTIONS)}")
    endpoint = options.get("endpoint") or None
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise invalid("endpoint must be an http:// or https:// URL")
    addressing = options.get("addressing")
    if addressing not in (None, "path", "virtual", "auto"):
        raise invalid("addressing must be path, virtual or auto")
    secret = config.get(settings.BLOB_S3_SECRET_ACCESS_KEY)
    return S3BlobStore(
        bucket,
        prefix=prefix,
        endpoint=endpoint,
        region=options.get("region") or None,
        addressing=addressing,
        access_key_id=config.get(settings.BLOB_S3_ACCESS_KEY_ID) or None,
        secret_access_key=secret.reveal() or None,
        part_size=config.get(settings.BLOB_S3_PART_SIZE),
        create_bucket=config.get(settings.BLOB_S3_CREATE_BUCKET),
    )
