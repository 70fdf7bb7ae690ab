"""Fetching the identity service's key set, in the background and on a new key id.

``gateway.auth.jwks_url`` is an ``http(s)://`` URL, a ``file://`` path (the
key set identity publishes under the home, the local cluster's default) or,
only when ``gateway.auth.jwks_discovery`` allows it, ``service://NAME/PATH``,
resolved through discovery to an instance of NAME. Discovery is off by
default because anything that can register as ``identity`` would then choose
the keys the gateway trusts. Until the first fetch succeeds, only the configured
keys are known; a service that does not exist yet is not an error, only a
debug line, so the gateway runs before the identity service does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from reelstack.chassis.client import http_session
from reelstack.chassis.discovery import Discovery
from reelstack.gateway.auth import TokenVerifier, parse_jwks

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 2.0
# A token naming an unknown key triggers a fetch at most this often, so a
# stream of forged key ids cannot make the gateway hammer the identity service.
MIN_REFETCH_S = 5.0
RETRY_FIRST_S = 1.0


class JwksFetcher:
    """Keeps a verifier's fetched keys in step with a JWKS URL."""

    def __init__(
        self,
        verifier: TokenVerifier,
        url: str,
        *,
        discovery: Discovery | None,
        zone: str,
        refresh_s: float,
    ) -> None:
        self.verifier = verifier
        self.url = url
        self.discovery = discovery
        self.zone = zone
        self.refresh_s = refresh_s
        self.document: Any = None
        self.fetched_at = 0.0
        self.attempted_at = -MIN_REFETCH_S
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def resolve(self) -> str | None:
        """Return the URL to fetch now, or None if its service has no instance."""
        parts = urlsplit(self.url)
        if parts.scheme != "service":
            return self.url
        if self.discovery is None:
            return None
        instances = self.discovery.instances(parts.hostname or "")
        if not instances:
            return None
        local = [i for i in instances if i.zone == self.zone]
        instance = (local or list(instances))[0]
        path = parts.path or "/"
        return f"{instance.base_url}{path}"

    async def fetch_once(self) -> bool:
        """Fetch the key set once; return whether the keys changed (errors are logged)."""
        async with self._lock:
            self.attempted_at = time.monotonic()
            url = self.resolve()
            if url is None:
                log.debug("no instance to fetch the key set from: %s", self.url)
                return False
            try:
                raw = await self._read(url)
                if raw is None:
                    return False
                document = orjson.loads(raw)
                keys = parse_jwks(document, url)
            except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
                log.warning("cannot fetch the key set from %s: %s", url, exc)
                return False
            self.fetched_at = time.monotonic()
            if document == self.document:
                return False
            self.document = document
            self.verifier.set_fetched(keys)
            log.info(
                "key set fetched from %s: %d key(s)",
                url,
                len(keys),
                extra={"key_ids": sorted(keys)},
            )
            return True

    async def _read(self, url: str) -> bytes | None:
        """Return the key set's bytes (None: the server answered an error, logged)."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            return await asyncio.to_thread(Path(parts.path).read_bytes)
        if self._session is None:
            self._session = http_session(timeout_s=FETCH_TIMEOUT_S)
        async with self._session.get(url) as response:
            if response.status != 200:
                log.warning("key set fetch from %s answered %d", url, response.status)
                return None
            return await response.read()

    async def refresh_for_unknown_key(self) -> bool:
        """Fetch again for a token naming an unknown key, unless one was tried just now."""
        if time.monotonic() - self.attempted_at < MIN_REFETCH_S:
            return False
        return await self.fetch_once()

    async def _run(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            await self.fetch_once()
            # Not fetched yet: try again soon, backing off to the refresh interval.
            delay = self.refresh_s if self.document is not None else min(delay * 2, self.refresh_s)
            await asyncio.sleep(delay)

    def start(self) -> None:
        """Start fetching in the background."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop fetching and close the HTTP session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
