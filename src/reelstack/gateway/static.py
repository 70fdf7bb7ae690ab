"""Static files of the web app, served at ``/`` for every path outside the API.

``gateway.static_dir`` (by default the repository's ``web/dist``, else
``<home>/web``) holds the built app. A path naming a file serves it; a path
naming nothing and without a file extension is a client-side route of the
single-page app and gets ``index.html``; anything else is 404. Hashed asset
names (``index-Bn18fLHt.js``, as Vite emits) never change content, so they
are cached as immutable for a year; everything else is revalidated with its
ETag on each use, so a new deploy shows at once.

``/app-settings.json`` is not a file: it is what the gateway tells the app
about itself (``AppSettings``), e.g. that a demo lets the viewer pick a
region; it is never cached.

Small files are kept in memory after their first read (checked against the
file's size and modification time on each request); large ones are read in
a worker thread chunk by chunk.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import orjson

from reelstack.gateway.front import STATIC_OUTSIDE_ROOT, Refusals
from reelstack.gateway.models import GatewayResponse, RequestContext
from reelstack.gateway.responses import error_response

INDEX = "index.html"
APP_SETTINGS_PATH = "/app-settings.json"
CACHED_MAX_BYTES = 1024 * 1024
CACHE_TOTAL_BYTES = 32 * 1024 * 1024
CHUNK = 256 * 1024
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
# name-HASH.ext, the hash at least 8 characters of Vite/Rollup's alphabet.
_HASHED = re.compile(r"[-.][A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")


@dataclass(frozen=True, slots=True)
class AppSettings:
    """What the web app may know of the gateway's settings (all public)."""

    #: The viewer may name a region (``gateway.region.from_client``): a demo.
    region_picker: bool = False
    #: The region a viewer gets without naming one.
    region: str = ""
    #: Regions the picker offers.
    regions: tuple[str, ...] = ()

    def body(self) -> bytes:
        """The JSON the app reads."""
        return orjson.dumps(
            {
                "regionPicker": self.region_picker,
                "region": self.region,
                "regions": list(self.regions),
            }
        )


class FileStream:
    """A large file read chunk by chunk in a worker thread."""

    __slots__ = ("file", "remaining")

    def __init__(self, path: Path, size: int) -> None:
        self.file = path.open("rb")
        self.remaining = size

    async def read(self) -> bytes:
        if self.remaining <= 0:
            return b""
        data = await asyncio.to_thread(self.file.read, min(CHUNK, self.remaining))
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
        return data

    def close(self, complete: bool) -> None:
        self.file.close()


class StaticEndpoint:
    """Serves the files under one folder, with the single-page-app fallback."""

    name = "<static>"
    kind = "endpoint"

    def __init__(
        self,
        root: Path,
        refusals: Refusals | None = None,
        app_settings: AppSettings | None = None,
    ) -> None:
        self.root = root.resolve()
        self.app_settings = (app_settings or AppSettings()).body()
        self.refusals = refusals if refusals is not None else Refusals()
        self.cache: dict[str, tuple[int, int, bytes]] = {}
        self.cached_bytes = 0

    def available(self) -> bool:
        """Whether the folder holds an app (an index.html)."""
        return (self.root / INDEX).is_file()

    async def handle(self, ctx: RequestContext) -> GatewayResponse:
        if ctx.method not in ("GET", "HEAD"):
            response = error_response(405, "MethodNotAllowed", "static files are read-only")
            response.headers.append((b"allow", b"GET, HEAD"))
            return response
        if ctx.path == APP_SETTINGS_PATH:
            headers = [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
                (b"x-content-type-options", b"nosniff"),
            ]
            if ctx.method == "HEAD":
                return GatewayResponse(200, headers, length=len(self.app_settings))
            return GatewayResponse(200, headers, self.app_settings)
        relative = self._relative(ctx.path)
        if relative is None:
            return error_response(404, "NotFound", f"no file for {ctx.path}")
        found = self._stat(relative)
        if found is None:
            last = relative.rsplit("/", 1)[-1]
            if "." in last:
                return error_response(404, "NotFound", f"no file for {ctx.path}")
            relative = INDEX  # a client-side route: the app decides what it shows
            found = self._stat(relative)
            if found is None:
                return error_response(404, "NotFound", "the web app is not built")
        path, stat = found
        return await self._serve(ctx, relative, path, stat)

    def _relative(self, raw_path: str) -> str | None:
        path = unquote(raw_path)
        if "\0" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p and p != "."]
        if any(p == ".." or p.startswith(".") for p in parts):
            return None  # no escaping the folder, no dotfiles
        return "/".join(parts) or INDEX

    def _stat(self, relative: str) -> tuple[Path, os.stat_result] | None:
        # The whole path is resolved, symlinks included, and must stay under
        # the root: a symlinked folder inside it must not lead out of it.
        path = self._inside(self.root / relative)
        if path is None:
            return None
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        if not path.is_file():
            index = self._inside(path / INDEX)
            try:
                return (index, index.stat()) if index is not None and index.is_file() else None
            except OSError:
                return None
        return path, stat

    def _inside(self, path: Path) -> Path | None:
        """Return ``path`` fully resolved if it lies under the root, else None."""
        try:
            resolved = Path(os.path.realpath(path))
        except (OSError, ValueError):
            return None
        if resolved != self.root and not resolved.is_relative_to(self.root):
            self.refusals.refuse(STATIC_OUTSIDE_ROOT, "", f"{path} resolves outside the root")
            return None
        return resolved

    async def _serve(
        self, ctx: RequestContext, relative: str, path: Path, stat: os.stat_result
    ) -> GatewayResponse:
        etag = b'W/"%x-%x"' % (stat.st_mtime_ns, stat.st_size)
        content_type = _content_type(path.name)
        cache_control = (
            IMMUTABLE
            if relative.startswith("assets/") and _HASHED.search(path.name)
            else REVALIDATE
        )
        headers = [
            (b"content-type", content_type),
            (b"cache-control", cache_control),
            (b"etag", etag),
            (b"x-content-type-options", b"nosniff"),
        ]
        if ctx.header(b"if-none-match") == etag:
            return GatewayResponse(304, headers)
        size = stat.st_size
        if ctx.method == "HEAD":
            return GatewayResponse(200, headers, length=size)
        if size > CACHED_MAX_BYTES:
            return GatewayResponse(200, headers, stream=FileStream(path, size), length=size)
        key = str(path)
        cached = self.cache.get(key)
        if cached is not None and cached[0] == stat.st_mtime_ns and cached[1] == size:
            return GatewayResponse(200, headers, cached[2])
        data = await asyncio.to_thread(path.read_bytes)
        if self.cached_bytes + len(data) > CACHE_TOTAL_BYTES:
            self.cache.clear()
            self.cached_bytes = 0
        if cached is not None:
            self.cached_bytes -= len(cached[2])
        self.cache[key] = (stat.st_mtime_ns, size, data)
        self.cached_bytes += len(data)
        return GatewayResponse(200, headers, data)


def _content_type(name: str) -> bytes:
    guessed, _ = mimetypes.guess_type(name)
    if name.endswith((".js", ".mjs")):
        guessed = "text/javascript"
    content_type = guessed or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/json", "image/svg+xml"):
        content_type += "; charset=utf-8"
    return content_type.encode("ascii")
