"""Finding subgraphs: registry instances that announce a GraphQL path, and their SDL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

import aiohttp
import orjson

from reelstack.chassis.discovery import InstanceInfo
from reelstack.chassis.subgraph import SUBGRAPH_METADATA
from reelstack.errors import UnavailableError
from reelstack.router.models import Subgraph, SubgraphSource

SDL_QUERY = orjson.dumps({"query": "{ _service { sdl } }"})
# An SDL is a schema, not data: a subgraph answering more than this is broken
# (or hostile), and the router would hold it and hand it to Node.
MAX_SDL_BYTES = 4 * 1024 * 1024


def subgraph_sources(instances: Iterable[InstanceInfo], *, own: str) -> list[SubgraphSource]:
    """Return one source per service whose UP instances announce a subgraph, by name.

    The instance with the smallest id serves as the service's endpoint, so the
    choice is the same on every look while that instance lives (the supergraph
    names one URL per subgraph; see docs/adr/0019). ``own`` (the router's
    service name) is never a subgraph.
    """
    chosen: dict[str, InstanceInfo] = {}
    for instance in instances:
        path = instance.metadata.get(SUBGRAPH_METADATA, "")
        if instance.status != "UP" or not path.startswith("/") or instance.service == own:
            continue
        current = chosen.get(instance.service)
        if current is None or instance.instance_id < current.instance_id:
            chosen[instance.service] = instance
    return [
        SubgraphSource(name, chosen[name].base_url + chosen[name].metadata[SUBGRAPH_METADATA])
        for name in sorted(chosen)
    ]


async def fetch_sdl(session: aiohttp.ClientSession, source: SubgraphSource) -> Subgraph:
    """Ask ``source`` for its SDL; UnavailableError saying why when it cannot be had."""
    try:
        async with session.post(
            source.url,
            data=SDL_QUERY,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        ) as response:
            body = await response.content.read(MAX_SDL_BYTES + 1)
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise UnavailableError(f"{source.url}: {type(exc).__name__}: {exc}") from exc
    if len(body) > MAX_SDL_BYTES:
        raise UnavailableError(f"{source.url}: SDL answer larger than {MAX_SDL_BYTES} bytes")
    if status != 200:
        raise UnavailableError(f"{source.url}: HTTP {status}")
    try:
        sdl = orjson.loads(body)["data"]["_service"]["sdl"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UnavailableError(f"{source.url}: no _service.sdl in the answer ({exc!r})") from exc
    if not isinstance(sdl, str) or not sdl.strip():
        raise UnavailableError(f"{source.url}: empty SDL")
    return Subgraph(source.name, source.url, sdl)


async def fetch_all(
    session: aiohttp.ClientSession, sources: Sequence[SubgraphSource]
) -> tuple[list[Subgraph], dict[str, str]]:
    """Fetch every source's SDL at once; return the subgraphs and, by name, why others failed."""
    results = await asyncio.gather(
        *(fetch_sdl(session, source) for source in sources), return_exceptions=True
    )
    found: list[Subgraph] = []
    failed: dict[str, str] = {}
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, Subgraph):
            found.append(result)
        elif isinstance(result, UnavailableError):
            failed[source.name] = str(result)
        else:
            raise result
    return found, failed


class HttpSdlFetcher:
    """Fetches SDLs over one keep-alive session, made on first use (inside the event loop)."""

    def __init__(self, *, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def __call__(
        self, sources: Sequence[SubgraphSource]
    ) -> tuple[list[Subgraph], dict[str, str]]:
        """Fetch every source's SDL (see :func:`fetch_all`)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        return await fetch_all(self._session, sources)

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
