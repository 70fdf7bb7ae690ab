"""Multipart uploads and server-side copies for S3BlobStore, and its error mapping.

An upload that fails or is cancelled is aborted, so the store never keeps the
parts of an object that was not published (S3 bills for them and lists them
with ``ListMultipartUploads`` until they are aborted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
)

from reelstack.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ReelstackError,
    UnavailableError,
)

log = logging.getLogger(__name__)

NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchUpload"})
BAD_RANGE = frozenset({"416", "InvalidRange"})


def error_code(exc: BaseException) -> str:
    """Return the S3 error code (``NoSuchKey``, ``404``) of a ClientError, else ``""``."""
    if not isinstance(exc, ClientError):
        return ""
    return str(exc.response.get("Error", {}).get("Code", ""))


def status_of(exc: BaseException) -> int:
    if not isinstance(exc, ClientError):
        return 0
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def translate(exc: Exception, what: str) -> ReelstackError:
    """Turn a botocore error about ``what`` into reelstack's error tree."""
    code, status = error_code(exc), status_of(exc)
    if isinstance(exc, ClientError):
        if code in NOT_FOUND:
            return NotFoundError(f"{what} does not exist")
        if code in BAD_RANGE or status == 416:
            return InvalidRequestError(f"{what}: the range is past the end ({code})")
        if status == 409:
            return ConflictError(f"{what}: {code}: {exc}")
        if status == 400:
            return InvalidRequestError(f"{what}: {code}: {exc}")
        # 403 (credentials, policy), 5xx, throttling: the store cannot serve us now.
        return UnavailableError(f"{what}: {code or status}: {exc}")
    return UnavailableError(f"{what}: {exc}")


VENDOR_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
# What a cleanup after a failed put may raise; logged so the put's own error is seen.
CLEANUP_ERRORS: tuple[type[Exception], ...] = (*VENDOR_ERRORS, OSError, ReelstackError)


class MultipartUpload:
    """One multipart upload to ``bucket/key``: parts uploaded one behind the caller.

    ``add`` starts uploading a part and returns once the previous part is
    stored, so reading the next part from the caller's stream overlaps with
    sending this one, and at most two parts are held in memory.
    """

    def __init__(self, client: Any, bucket: str, key: str, **create: Any) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.create = create
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self._pending: asyncio.Task[dict[str, Any]] | None = None

    async def start(self) -> None:
        created = await self.client.create_multipart_upload(
            Bucket=self.bucket, Key=self.key, **self.create
        )
        self.upload_id = str(created["UploadId"])

    async def add(self, body: bytes) -> None:
        """Upload ``body`` as the next part (in the background)."""
        await self._drain()
        number = len(self.parts) + 1
        self._pending = asyncio.create_task(self._send(number, body))

    async def copy(self, source: dict[str, str], first: int, last: int) -> None:
        """Copy bytes ``first..last`` of ``source`` into the next part, server-side."""
        await self._drain()
        number = len(self.parts) + 1
        copied = await self.client.upload_part_copy(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            CopySource=source,
            CopySourceRange=f"bytes={first}-{last}",
        )
        self.parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})

    async def _send(self, number: int, body: bytes) -> dict[str, Any]:
        sent = await self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": sent["ETag"]}

    async def _drain(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self.parts.append(await pending)

    async def complete(self) -> None:
        """Publish the object: S3 makes it visible whole, at once."""
        await self._drain()
        await self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    async def abort(self) -> None:
        """Drop the parts stored so far; the object is not published."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, *VENDOR_ERRORS):
                await pending
        if self.upload_id is not None:
            await self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )


async def settle(cleanup: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``cleanup`` to the end even if the caller is cancelled again; log a failure.

    Used on the way out of a failed or cancelled put: the original error is
    what the caller must see, so a failing cleanup is logged, not raised.
    """
    task = asyncio.ensure_future(cleanup())
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # Cancelled again while cleaning up: the task runs on and logs for itself.
        task.add_done_callback(lambda done: _log_failure(done, what))
        raise
    except CLEANUP_ERRORS as exc:
        log.warning("blob store: could not %s: %s", what, exc)


def _log_failure(task: asyncio.Future[None], what: str) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("blob store: could not %s: %s", what, task.exception())
