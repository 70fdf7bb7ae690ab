"""Partial uploads on shared storage: the state behind the tus protocol.

An upload is two files in the upload folder (``media.upload_dir``): ``ID.bin``
holds the bytes received so far, ``ID.json`` the declared length, the
metadata and the title it creates. The offset is the data file's size, so it
is whatever reached the disk, on any instance that sees the folder: an upload
begun on one media instance continues on another, or after a restart.

A write holds an exclusive ``flock`` on the data file (a second writer gets
:class:`UploadLocked`), appends as the bytes arrive, and fsyncs before the
new offset is acknowledged. A write cut off midway keeps what arrived (tus
clients resume from HEAD's offset), unless it carried a checksum: then the
whole chunk is discarded, since it cannot be verified.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelstack.errors import ConflictError, InvalidRequestError, NotFoundError

log = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9a-f]{32}$")
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}


class UploadLocked(ConflictError):
    """Another request is writing to this upload right now."""


class UploadGone(NotFoundError):
    """The upload expired (or was finished and handed over) and its bytes are gone."""


class OffsetMismatch(ConflictError):
    """The client's Upload-Offset is not where the upload stands."""


class TooLarge(InvalidRequestError):
    """More bytes than the upload's declared length, or than the service accepts."""


class ChecksumMismatch(InvalidRequestError):
    """The chunk's bytes do not match its Upload-Checksum; nothing of it was kept."""


@dataclass(frozen=True, slots=True)
class Checksum:
    """An ``Upload-Checksum`` header: algorithm and expected digest."""

    algorithm: str
    digest: bytes


@dataclass(slots=True)
class UploadInfo:
    """What is known of one upload."""

    id: str
    length: int
    offset: int
    metadata: dict[str, str]
    created: float
    last_write: float
    expires: float
    title_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.offset >= self.length


def parse_metadata(header: str) -> dict[str, str]:
    """Parse ``Upload-Metadata``: comma-separated ``key base64(value)`` pairs."""
    out: dict[str, str] = {}
    for part in header.split(","):
        part = part.strip()
        if not part:
            continue
        key, _, encoded = part.partition(" ")
        if not key.isascii() or not key or any(c in key for c in " ,"):
            raise InvalidRequestError(f"Upload-Metadata: bad key {key!r}")
        if key in out:
            raise InvalidRequestError(f"Upload-Metadata: key {key!r} given twice")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise InvalidRequestError(
                f"Upload-Metadata: the value of {key!r} is not base64 of UTF-8 text"
            ) from None
        out[key] = value
    return out


def encode_metadata(metadata: dict[str, str]) -> str:
    """Build an ``Upload-Metadata`` header value."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode('utf-8')).decode('ascii')}"
        for key, value in metadata.items()
    )


def parse_checksum(header: str) -> Checksum:
    """Parse ``Upload-Checksum: ALGORITHM BASE64``."""
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise InvalidRequestError(
            f"Upload-Checksum: algorithm {algorithm!r} is not supported; "
            f"supported: {', '.join(CHECKSUM_ALGORITHMS)}"
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        raise InvalidRequestError("Upload-Checksum: the digest is not base64") from None
    return Checksum(algorithm, digest)


class UploadStore:
    """Partial uploads in one folder, shared by every media instance."""

    def __init__(self, folder: Path, *, expiry_s: float) -> None:
        self.folder = folder
        self.expiry_s = expiry_s

    def open(self) -> None:
        """Create the folder (private to this user)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def data_path(self, upload_id: str) -> Path:
        """The file holding the upload's bytes."""
        return self.folder / f"{self._check(upload_id)}.bin"

    def _info_path(self, upload_id: str) -> Path:
        return self.folder / f"{self._check(upload_id)}.json"

    @staticmethod
    def _check(upload_id: str) -> str:
        if not _ID.match(upload_id):
            raise NotFoundError(f"no upload {upload_id!r}")
        return upload_id

    # -- create, read, delete ------------------------------------------------------

    def create(
        self, *, length: int, metadata: dict[str, str], title_id: str | None = None
    ) -> UploadInfo:
        """Start an empty upload of ``length`` bytes."""
        upload_id = secrets.token_hex(16)
        now = time.time()
        record = {
            "length": length,
            "metadata": metadata,
            "created": now,
            "title_id": title_id,
        }
        self.data_path(upload_id).touch(mode=0o600, exist_ok=False)
        _write_json(self._info_path(upload_id), record)
        return self.info(upload_id)

    def info(self, upload_id: str) -> UploadInfo:
        """Return the upload's state; NotFoundError if unknown, UploadGone if expired."""
        try:
            record = json.loads(self._info_path(upload_id).read_text())
            facts = self.data_path(upload_id).stat()
        except FileNotFoundError:
            raise NotFoundError(f"no upload {upload_id!r}") from None
        except ValueError as exc:
            raise NotFoundError(f"upload {upload_id!r} has an unreadable record: {exc}") from None
        info = UploadInfo(
            id=upload_id,
            length=int(record["length"]),
            offset=facts.st_size,
            metadata=dict(record.get("metadata") or {}),
            created=float(record["created"]),
            last_write=facts.st_mtime,
            expires=facts.st_mtime + self.expiry_s,
            title_id=record.get("title_id"),
        )
        if not info.complete and info.expires < time.time():
            raise UploadGone(f"upload {upload_id!r} expired unfinished")
        return info

    def delete(self, upload_id: str) -> None:
        """Remove the upload's files (no error if they are gone)."""
        for path in (self.data_path(upload_id), self._info_path(upload_id)):
            path.unlink(missing_ok=True)

    def ids(self) -> list[str]:
        """Every upload in the folder."""
        return sorted(p.stem for p in self.folder.glob("*.json") if _ID.match(p.stem))

    def expired(self) -> list[str]:
        """Uploads unfinished and untouched for longer than the expiry."""
        gone = []
        for upload_id in self.ids():
            try:
                self.info(upload_id)
            except UploadGone:
                gone.append(upload_id)
            except NotFoundError:
                continue
        return gone

    # -- append --------------------------------------------------------------------

    async def append(
        self,
        upload_id: str,
        *,
        offset: int,
        chunks: AsyncIterator[bytes],
        checksum: Checksum | None = None,
    ) -> UploadInfo:
        """Append the streamed bytes at ``offset``; return the upload's new state.

        Raises OffsetMismatch if ``offset`` is not the current one, TooLarge
        past the declared length, ChecksumMismatch (the chunk is dropped), and
        UploadLocked when another request writes to it.
        """
        info = self.info(upload_id)
        path = self.data_path(upload_id)
        # Unbuffered: every chunk reaches the file as it arrives, so HEAD on any
        # instance sees the bytes written so far.
        handle = await asyncio.to_thread(path.open, "r+b", 0)
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadLocked(
                    f"upload {upload_id!r} is being written by another request"
                ) from None
            current = os.fstat(handle.fileno()).st_size
            if offset != current:
                raise OffsetMismatch(f"Upload-Offset {offset} but the upload is at {current}")
            handle.seek(current)
            digest = CHECKSUM_ALGORITHMS[checksum.algorithm]() if checksum else None
            written = 0
            received = False
            try:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    if current + written + len(chunk) > info.length:
                        raise TooLarge(
                            f"more than the declared Upload-Length of {info.length} bytes"
                        )
                    if digest is not None:
                        digest.update(chunk)
                    await asyncio.to_thread(_write_all, handle, chunk)
                    written += len(chunk)
                received = True
            finally:
                # A chunk with a checksum is kept whole or not at all; without
                # one, whatever arrived is kept so a client cut off resumes there.
                verified = checksum is None or (
                    received and digest is not None and digest.digest() == checksum.digest
                )
                if not verified and written:
                    await asyncio.to_thread(_truncate, handle, current)
                await asyncio.to_thread(_sync, handle)
            if not verified and checksum is not None:
                raise ChecksumMismatch(
                    f"Upload-Checksum {checksum.algorithm} does not match the chunk"
                )
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()
        return self.info(upload_id)


def _write_all(handle: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = handle.write(view)
        view = view[written:]


def _truncate(handle: Any, size: int) -> None:
    handle.flush()
    handle.truncate(size)


def _sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_suffix(".tmp")
    with temp.open("w") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
