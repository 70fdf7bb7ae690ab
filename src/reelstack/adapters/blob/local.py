"""LocalBlobStore: objects as files under one folder (``file:///ABS/DIR``).

An object with key ``titles/7/source.mp4`` is the file ``DIR/titles/7/source.mp4``,
so it can be served with sendfile. Its metadata (size, etag, content type,
time) lives in a sidecar under ``DIR/.reelstack/meta``. Reserved for the store:
``DIR/.reelstack`` (temp files, sidecars, the publish lock).

A put streams into a temp file on the same filesystem, hashing as it goes,
fsyncs it, then publishes under an exclusive lock: sidecar first, then the
object, each with ``os.replace``. A reader opens one inode, so it sees the old
object or the whole new one, never a part. The sidecar records the inode,
size and mtime of the object it describes, so ``stat`` can tell a sidecar
that belongs to another version of the object (a publish in progress, or one
cut short by a crash) and, under the lock, heal it by hashing the object.
"""

from __future__ import annotations

import asyncio
import builtins
import fcntl
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from reelstack import settings
from reelstack.config import Config
from reelstack.errors import (
    ConfigError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnavailableError,
)
from reelstack.ports.blob import BlobInfo
from reelstack.ports.blob_keys import (
    RESERVED,
    check_content_type,
    check_key,
    check_prefix,
    check_range,
)

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# A temp file untouched this long belongs to a put that died.
STALE_TEMP_S = 3600.0
DEFAULT_TYPE = "application/octet-stream"


class LocalBlobStore:
    """The BlobStore port on a local folder, safe for several processes at once.

    ``root`` is the folder (created with its parents on open); ``chunk_size``
    is the size of each read and write handed to a worker thread.
    """

    def __init__(self, root: Path, *, chunk_size: int = CHUNK) -> None:
        self.root = root
        self.chunk_size = chunk_size
        self._tmp = root / RESERVED / "tmp"
        self._meta = root / RESERVED / "meta"
        self._lock = root / RESERVED / "publish.lock"

    # -- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        try:
            for folder in (self.root, self._tmp, self._meta):
                folder.mkdir(parents=True, exist_ok=True)
            self._lock.touch(exist_ok=True)
        except OSError as exc:
            raise UnavailableError(f"blob store {self.root}: cannot create it: {exc}") from exc
        now = time.time()
        for temp in self._tmp.iterdir():
            try:
                if now - temp.stat().st_mtime > STALE_TEMP_S:
                    temp.unlink()
                    log.info("blob store %s: removed stale temp file %s", self.root, temp.name)
            except FileNotFoundError:
                continue

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        def check() -> None:
            if not self.root.is_dir():
                raise UnavailableError(f"blob store folder {self.root} is missing")
            if not os.access(self._tmp, os.W_OK):
                raise UnavailableError(f"blob store folder {self.root} is not writable")

        await asyncio.to_thread(check)

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
        digest = hashlib.sha256()
        try:
            fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=self._tmp, suffix=".part")
        except OSError as exc:
            raise UnavailableError(f"blob store {self.root}: cannot create a file: {exc}") from exc
        temp = Path(name)
        handle = os.fdopen(fd, "wb")
        publishing = False
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                view = memoryview(data)
                for start in range(0, len(view), self.chunk_size):
                    piece = view[start : start + self.chunk_size]
                    await asyncio.to_thread(_write, handle, digest, piece)
            else:
                await self._stream(handle, digest, data)
            # From here the worker thread owns the temp file, even if we are cancelled.
            publishing = True
            return await asyncio.to_thread(self._publish, key, handle, temp, digest, content_type)
        finally:
            if not publishing:
                _discard(handle, temp)

    async def _stream(self, handle: IO[bytes], digest: Any, data: AsyncIterable[bytes]) -> None:
        pending: list[bytes] = []
        size = 0
        async for chunk in data:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise InvalidRequestError(f"blob data must be bytes, got {type(chunk).__name__}")
            pending.append(bytes(chunk))
            size += len(chunk)
            if size >= self.chunk_size:
                await asyncio.to_thread(_write, handle, digest, b"".join(pending))
                pending, size = [], 0
        if pending:
            await asyncio.to_thread(_write, handle, digest, b"".join(pending))

    def _publish(
        self, key: str, handle: IO[bytes], temp: Path, digest: Any, content_type: str
    ) -> BlobInfo:
        try:
            return self._publish_file(key, handle, temp, digest, content_type)
        finally:
            _discard(handle, temp)  # gone already if it was published

    def _publish_file(
        self, key: str, handle: IO[bytes], temp: Path, digest: Any, content_type: str
    ) -> BlobInfo:
        handle.flush()
        os.fsync(handle.fileno())
        facts = os.fstat(handle.fileno())
        handle.close()
        target = self.root / key
        sidecar = self._sidecar(key)
        modified = time.time()
        meta = {
            "size": facts.st_size,
            "etag": digest.hexdigest(),
            "content_type": content_type,
            "modified": modified,
            "ino": facts.st_ino,
            "mtime_ns": facts.st_mtime_ns,
        }
        with self._locked(fcntl.LOCK_EX):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                sidecar.parent.mkdir(parents=True, exist_ok=True)
                if target.is_dir():
                    raise ConflictError(f"blob key {key!r} is a prefix of other objects")
                _write_json(sidecar, meta, self._tmp)
                os.replace(temp, target)
                _fsync_dir(target.parent)
            except (NotADirectoryError, FileExistsError) as exc:
                raise ConflictError(
                    f"blob key {key!r} runs through an existing object ({exc.filename})"
                ) from exc
        return BlobInfo(key, facts.st_size, digest.hexdigest(), content_type, modified)

    async def delete(self, key: str) -> None:
        check_key(key)
        await asyncio.to_thread(self._delete, key)

    def _delete(self, key: str) -> None:
        target = self.root / key
        with self._locked(fcntl.LOCK_EX):
            if target.is_dir():
                return  # a prefix of other objects, not an object
            for path, top in ((target, self.root), (self._sidecar(key), self._meta)):
                try:
                    path.unlink()
                except (FileNotFoundError, NotADirectoryError):
                    continue
                _prune(path.parent, top)

    # -- reading -------------------------------------------------------------------

    async def get(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        check_key(key)
        check_range(offset, length)
        handle = await asyncio.to_thread(self._open_object, key)
        try:
            size = os.fstat(handle.fileno()).st_size
            if offset > size or (offset == size and size > 0):
                raise InvalidRequestError(
                    f"range starting at {offset} is past the end of {key!r} ({size} bytes)"
                )
            remaining = size - offset if length is None else min(length, size - offset)
            if offset:
                handle.seek(offset)
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(self.chunk_size, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def read(self, key: str, *, offset: int = 0, length: int | None = None) -> bytes:
        return b"".join([chunk async for chunk in self.get(key, offset=offset, length=length)])

    def _open_object(self, key: str) -> IO[bytes]:
        try:
            return (self.root / key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFoundError(f"blob {key!r} does not exist") from None

    async def stat(self, key: str) -> BlobInfo:
        check_key(key)
        return await asyncio.to_thread(self._stat, key)

    def _stat(self, key: str) -> BlobInfo:
        info = self._described(key)
        if info is not None:
            return info
        # The sidecar is for another version of the object: a publish is in
        # progress (wait for it) or was cut short by a crash (heal it).
        with self._locked(fcntl.LOCK_EX):
            info = self._described(key)
            return info if info is not None else self._heal(key)

    def _described(self, key: str) -> BlobInfo | None:
        """Return the object's info if its sidecar describes this very file, else None."""
        try:
            facts = os.stat(self.root / key)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFoundError(f"blob {key!r} does not exist") from None
        if not stat.S_ISREG(facts.st_mode):
            raise NotFoundError(f"blob {key!r} does not exist")
        try:
            meta = json.loads(self._sidecar(key).read_text())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        same = (meta.get("ino"), meta.get("size"), meta.get("mtime_ns")) == (
            facts.st_ino,
            facts.st_size,
            facts.st_mtime_ns,
        )
        if not same:
            return None
        return BlobInfo(key, facts.st_size, meta["etag"], meta["content_type"], meta["modified"])

    def _heal(self, key: str) -> BlobInfo:
        target = self.root / key
        digest = hashlib.sha256()
        try:
            with target.open("rb") as handle:
                facts = os.fstat(handle.fileno())
                while chunk := handle.read(self.chunk_size):
                    digest.update(chunk)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFoundError(f"blob {key!r} does not exist") from None
        log.warning("blob store %s: rebuilt the metadata of %r from its bytes", self.root, key)
        meta = {
            "size": facts.st_size,
            "etag": digest.hexdigest(),
            "content_type": DEFAULT_TYPE,
            "modified": facts.st_mtime,
            "ino": facts.st_ino,
            "mtime_ns": facts.st_mtime_ns,
        }
        sidecar = self._sidecar(key)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        _write_json(sidecar, meta, self._tmp)
        return BlobInfo(key, facts.st_size, digest.hexdigest(), DEFAULT_TYPE, facts.st_mtime)

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        check_prefix(prefix)
        return await asyncio.to_thread(self._list, prefix)

    def _list(self, prefix: str) -> builtins.list[BlobInfo]:
        keys = sorted(self._keys(prefix), key=lambda k: k.encode("utf-8", "surrogatepass"))
        infos = []
        for key in keys:
            try:
                infos.append(self._stat(key))
            except NotFoundError:
                continue  # deleted while we listed
        return infos

    def _keys(self, prefix: str) -> Iterator[str]:
        folder, _, _ = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        for dirpath, dirnames, filenames in os.walk(base):
            relative = Path(dirpath).relative_to(self.root).as_posix()
            if relative == ".":
                dirnames[:] = [d for d in dirnames if d != RESERVED]
                relative = ""
            for name in filenames:
                key = f"{relative}/{name}" if relative else name
                if key.startswith(prefix):
                    yield key

    def local_path(self, key: str) -> Path | None:
        """Return the object's file (which may not exist): this store is on local disk."""
        return self.root / check_key(key)

    # -- helpers -------------------------------------------------------------------

    def _sidecar(self, key: str) -> Path:
        return self._meta / f"{key}.json"

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        # One lock file for the whole store: publishing is two renames, so short.
        with self._lock.open("a+b") as lock:
            fcntl.flock(lock.fileno(), mode)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _write(handle: IO[bytes], digest: Any, data: bytes | memoryview) -> None:
    digest.update(data)
    handle.write(data)


def _discard(handle: IO[bytes], temp: Path) -> None:
    """Remove a temp file whose put failed or was cancelled."""
    try:
        temp.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove temp file %s of a failed put: %s", temp, exc)
    handle.close()


def _write_json(path: Path, data: dict[str, Any], tmp: Path) -> None:
    fd, name = tempfile.mkstemp(dir=tmp, suffix=".meta")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except OSError:
        Path(name).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(folder: Path, top: Path) -> None:
    """Remove ``folder`` and its parents up to ``top`` while they are empty."""
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def from_url(url: str, config: Config) -> LocalBlobStore:
    """Build a LocalBlobStore from ``file:///ABSOLUTE/DIR``."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost") or not path.startswith("/") or not path.strip("/"):
        source = config.resolved(settings.BLOB_URL).source
        raise ConfigError(
            settings.BLOB_URL.key, url, source, "expected file:///ABSOLUTE/DIR (three slashes)"
        )
    # "file:///" + "/abs/dir" (a path joined to the prefix) means /abs/dir too.
    return LocalBlobStore(Path("/" + path.lstrip("/")))
