"""The edge's disk cache: files by blob key, least recently used evicted, one fetch per miss.

Files live at ``ROOT/<blob key>``; a fill writes ``ROOT/.part/<random>`` and
renames it into place when whole, so a restarted edge finds only whole
files (:meth:`DiskCache.scan` deletes leftovers). The index is an
OrderedDict in use order; ``used`` counts what it holds plus what fills in
progress have reserved, and never exceeds ``capacity`` (see ADR 0021 for why
LRU).

Request collapsing: the first miss for a key starts a :class:`Fill` (one
``stat`` and one ``get`` from the origin); every request for that key
until it finishes reads the same fill, from the part file, as far as it
has arrived. An origin error fails the fill: requesters that have not sent
a head yet answer 502, the others are cut off, and nothing is cached. A
disk that runs out of space (``ENOSPC``) fails the fill the same way and
stops filling for ``FULL_BACKOFF_S``: misses are then passed through from
the origin uncached, and what the cache holds is served as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import shutil
import time
from collections import OrderedDict
from pathlib import Path

from reelstack.edge.http import etag_for
from reelstack.edge.models import EdgeStats, Entry, title_of
from reelstack.errors import InvalidRequestError, NotFoundError, ReelstackError
from reelstack.ports import BlobStore
from reelstack.ports.blob_keys import check_key

log = logging.getLogger(__name__)

PART_DIR = ".part"
FULL_BACKOFF_S = 30.0
"""After the disk fills up, misses pass through uncached for this long before a fill is tried."""
FREE_MARGIN_BYTES = 64 * 1024 * 1024
"""A fill needs this much free disk beyond the file: the disk is shared with the logs."""


class OriginError(Exception):
    """The origin failed to give a file (502)."""


class OriginMissingError(Exception):
    """The origin has no such file (404)."""


class NotCachedError(Exception):
    """The file will not be cached (disk full, larger than the cache): pass it through."""


class RateLimit:
    """Paces copying to at most ``bytes_s`` on average (the proactive fill's cap)."""

    def __init__(self, bytes_s: int) -> None:
        self.bytes_s = bytes_s
        self.started = time.monotonic()
        self.sent = 0

    async def take(self, count: int) -> None:
        """Account for ``count`` bytes copied; sleep while ahead of the rate."""
        self.sent += count
        ahead = self.sent / self.bytes_s - (time.monotonic() - self.started)
        if ahead > 0:
            await asyncio.sleep(ahead)


class Fill:
    """One origin fetch in progress; any number of requesters read it as it arrives."""

    def __init__(self, key: str, final: Path) -> None:
        loop = asyncio.get_running_loop()
        self.key = key
        self.final = final
        self.part: Path | None = None
        self.size = 0
        self.modified = 0.0
        self.etag = ""
        self.written = 0
        self.done = False
        self.error: Exception | None = None
        self.purged = False
        """Its title was purged while it ran: it is not cached when it ends."""
        self._started: asyncio.Future[None] = loop.create_future()
        self._progress: asyncio.Future[None] = loop.create_future()

    async def started(self) -> None:
        """Wait until the origin has said the file's size; raise the fill's error if it failed."""
        await asyncio.shield(self._started)

    async def available(self, offset: int) -> int:
        """Wait until bytes past ``offset`` are on disk (or the file is whole); return how many.

        Raises the fill's error if it failed, even with bytes past
        ``offset`` on disk: a reader stops at the same place whatever it has.
        """
        while True:
            if self.error is not None:
                raise self.error
            if self.written > offset or self.done:
                return self.written
            await asyncio.shield(self._progress)

    async def finished(self) -> None:
        """Wait until the file is whole in the cache; raise the fill's error if it failed."""
        while not self.done:
            if self.error is not None:
                raise self.error
            await asyncio.shield(self._progress)

    def reader_path(self) -> Path:
        """Return the path to open to read this fill (the part file, or the whole one)."""
        if self.error is not None:
            raise self.error
        if self.done or self.part is None:
            return self.final
        return self.part

    def _advance(self, count: int) -> None:
        self.written += count
        self._wake()

    def _wake(self) -> None:
        progress, self._progress = self._progress, asyncio.get_running_loop().create_future()
        progress.set_result(None)

    def _begin(self) -> None:
        if not self._started.done():
            self._started.set_result(None)

    def _fail(self, error: Exception) -> None:
        self.error = error
        if not self._started.done():
            self._started.set_exception(error)
            self._started.exception()  # retrieved: a fill nobody waits on is not an error
        self._wake()

    def _finish(self) -> None:
        self.done = True
        self._begin()
        self._wake()


class DiskCache:
    """Files of the origin on local disk, within ``capacity`` bytes."""

    def __init__(
        self,
        *,
        root: Path,
        capacity: int,
        blob: BlobStore,
        stats: EdgeStats,
        prefix: str = "media",
    ) -> None:
        self.root = root
        self.capacity = capacity
        self.blob = blob
        self.stats = stats
        self.prefix = prefix
        self.index: OrderedDict[str, Entry] = OrderedDict()
        self.used = 0
        self.fills: dict[str, Fill] = {}
        self.full_until = 0.0
        self.free_margin = FREE_MARGIN_BYTES
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what it holds -----------------------------------------------------------------

    def scan(self) -> None:
        """Index the files the folder holds (a restarted edge keeps its cache).

        Least recently used first by the files' access times (set at fill
        and on eviction order only approximately kept by the filesystem);
        partial fills a crash left behind are deleted.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.root / PART_DIR, ignore_errors=True)
        (self.root / PART_DIR).mkdir()
        found: list[tuple[float, Entry]] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d != PART_DIR]
            for name in filenames:
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                try:
                    check_key(key)
                    info = path.stat()
                except (InvalidRequestError, OSError) as exc:
                    log.warning("cache: ignoring %s: %s", path, exc)
                    continue
                entry = Entry(key, path, info.st_size, info.st_mtime, "")
                entry.etag = etag_for(entry.size, entry.modified)
                found.append((info.st_atime, entry))
        found.sort(key=lambda pair: pair[0])
        self.index.clear()
        self.used = 0
        for _, entry in found:
            self.index[entry.key] = entry
            self.used += entry.size
        self._evict(0)
        log.info("cache: %d files, %d bytes in %s", len(self.index), self.used, self.root)

    def lookup(self, key: str) -> Entry | None:
        """Return the cached file for ``key`` (marking it used now), or None."""
        entry = self.index.get(key)
        if entry is not None:
            self.index.move_to_end(key)
        return entry

    def forget(self, key: str) -> None:
        """Drop ``key`` from the index (its file went missing under us)."""
        entry = self.index.pop(key, None)
        if entry is not None:
            self.used -= entry.size
            self._close(entry)

    def purge(self, title: str) -> tuple[int, int]:
        """Drop every file of ``title`` (and its fills in progress); return (files, bytes).

        A reader with a purged file open finishes reading it (the name is
        unlinked, the data freed when it closes); a fill in progress fails
        before it is cached, so a purged title is not back a moment later.
        """
        keys = [key for key in self.index if title_of(key, self.prefix) == title]
        dropped = 0
        for key in keys:
            entry = self.index.pop(key)
            dropped += entry.size
            self._delete(entry)
        for fill in self.fills.values():
            if title_of(fill.key, self.prefix) == title:
                fill.purged = True
        self._prune(self.root / self.prefix / title)
        return len(keys), dropped

    def _prune(self, folder: Path) -> None:
        """Remove the empty folders under ``folder`` (a purged title's), deepest first."""
        if not folder.is_dir():
            return
        for dirpath, _, _ in sorted(os.walk(folder), key=lambda w: -len(w[0])):
            # Not empty: a fill in progress renames into it; left.
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)

    def titles(self, limit: int = 200) -> list[str]:
        """Return the titles it holds any file of, most recently used first."""
        seen: dict[str, None] = {}
        for key in reversed(self.index):
            title = title_of(key, self.prefix)
            if title is not None and title not in seen:
                seen[title] = None
                if len(seen) >= limit:
                    break
        return list(seen)

    def held_bytes(self) -> int:
        """Return the bytes of whole files held (``used`` less fills in progress)."""
        return sum(entry.size for entry in self.index.values())

    def disk_full(self) -> bool:
        """Whether filling is stopped because the disk ran out of space."""
        return time.monotonic() < self.full_until

    # -- filling -----------------------------------------------------------------------

    def fill(self, key: str, *, rate: RateLimit | None = None) -> tuple[Fill, bool]:
        """Return the fill of ``key`` and whether this call started it (else it joins one)."""
        fill = self.fills.get(key)
        if fill is not None:
            return fill, False
        fill = self.fills[key] = Fill(key, self.root / key)
        task = asyncio.get_running_loop().create_task(self._run(fill, rate))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return fill, True

    async def close(self) -> None:
        """Stop fills in progress (their part files are deleted)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, fill: Fill, rate: RateLimit | None) -> None:
        reserved = 0
        fd = -1
        try:
            try:
                info = await self.blob.stat(fill.key)
            except NotFoundError:
                raise OriginMissingError(fill.key) from None
            fill.size, fill.modified = info.size, info.modified
            fill.etag = etag_for(info.size, info.modified)
            if self.disk_full() or not self._reserve(info.size):
                raise NotCachedError(fill.key)
            reserved = info.size
            fill.part = self.root / PART_DIR / secrets.token_hex(8)
            fd = os.open(fill.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            fill._begin()
            self.stats.origin_fetches += 1
            async for chunk in self.blob.get(fill.key):
                self._write(fd, chunk)
                self.stats.bytes_from_origin += len(chunk)
                fill._advance(len(chunk))
                if rate is not None:
                    await rate.take(len(chunk))
            if fill.written != fill.size:
                raise OriginError(
                    f"{fill.key}: the origin sent {fill.written} of {fill.size} bytes"
                )
            os.close(fd)
            fd = -1
            if fill.purged:
                raise OriginError(f"{fill.key}: its title was purged")
            os.utime(fill.part, (time.time(), fill.modified))
            fill.final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(fill.part, fill.final)
            entry = Entry(fill.key, fill.final, fill.size, fill.modified, fill.etag)
            self.index[fill.key] = entry
            reserved = 0
            fill._finish()
        except (OriginMissingError, NotCachedError) as exc:
            fill._fail(exc)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                self.full_until = time.monotonic() + FULL_BACKOFF_S
                log.error("cache: disk full filling %s; misses pass through uncached", fill.key)
            else:
                log.error("cache: filling %s failed: %s", fill.key, exc)
            fill._fail(OriginError(f"{fill.key}: {exc}"))
        except (ReelstackError, OriginError) as exc:
            log.warning("cache: origin failed for %s: %s", fill.key, exc)
            fill._fail(OriginError(f"{fill.key}: {exc}"))
        except asyncio.CancelledError:
            fill._fail(OriginError(f"{fill.key}: the edge is stopping"))
            raise
        except Exception as exc:
            log.exception("cache: filling %s failed", fill.key)
            fill._fail(OriginError(f"{fill.key}: {type(exc).__name__}"))
        finally:
            if fd >= 0:
                os.close(fd)
            if not fill.done and fill.part is not None:
                fill.part.unlink(missing_ok=True)
            self.used -= reserved
            self.fills.pop(fill.key, None)

    def _write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def _reserve(self, size: int) -> bool:
        """Make room for ``size`` bytes by evicting; False if it cannot fit (not cached)."""
        if size > self.capacity:
            return False
        try:
            free = shutil.disk_usage(self.root).free
        except OSError as exc:
            log.warning("cache: cannot read free space: %s", exc)
            free = 0
        if free < size + self.free_margin:
            # The disk holds less than the capacity promised (shared, or the
            # setting too large): stop filling, keep serving what is held.
            self.full_until = time.monotonic() + FULL_BACKOFF_S
            log.error("cache: %d bytes free on disk; misses pass through uncached", free)
            return False
        self._evict(size)
        if self.used + size > self.capacity:
            return False  # the rest is reserved by fills in progress
        self.used += size
        return True

    def _evict(self, size: int) -> None:
        while self.index and self.used + size > self.capacity:
            _, entry = self.index.popitem(last=False)
            self._delete(entry)

    def _close(self, entry: Entry) -> None:
        entry.evicted = True
        if not entry.users and entry.file is not None:
            entry.file.close()
            entry.file = None

    def _delete(self, entry: Entry) -> None:
        # A reader with the file open keeps reading it: unlink frees the name only.
        self._close(entry)
        self.used -= entry.size
        try:
            entry.path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cache: cannot delete %s: %s", entry.path, exc)
