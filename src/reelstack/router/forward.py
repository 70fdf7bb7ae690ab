"""``/graphql``: the router instance hands each request to its Hive Gateway child.

The gateway (Zuul's role) routes ``/graphql`` to a router instance like any
service route; the instance forwards to Hive Gateway on 127.0.0.1 with
only :data:`~reelstack.router.context.PROPAGATED_HEADERS` and the body's
content type, and answers with Hive's status, content type and body.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from starlette.responses import Response

from reelstack.chassis.client import http_session
from reelstack.errors import RecordTooLargeError, UnavailableError
from reelstack.router.context import PROPAGATED_HEADERS, RouterContext
from reelstack.router.homecache import Answer, Flight, HomeCache, Key

# Hive answers every request itself (errors included) within the upstream
# timeout per subgraph fetch; this bounds a child that hangs altogether.
FORWARD_TIMEOUT_S = 60.0


def is_json(content_type: str | None) -> bool:
    """Whether a request's content type is JSON, the only body GraphQL-over-HTTP POST takes.

    Anything else is refused: a browser sends ``text/plain`` (or a form)
    across origins without asking first, so accepting it would let any web
    page run mutations with a signed-in viewer's credentials (CSRF).
    """
    if content_type is None:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json"


async def read_body(chunks: AsyncIterator[bytes], *, declared: str | None, limit: int) -> bytes:
    """Read a request body of at most ``limit`` bytes; RecordTooLargeError past it.

    A declared ``Content-Length`` over the limit is refused before a byte is read.
    """
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RecordTooLargeError(
            f"GraphQL request body of {declared} bytes is over router.max_body_bytes ({limit})"
        )
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise RecordTooLargeError(
                f"GraphQL request body is over router.max_body_bytes ({limit})"
            )
    return bytes(body)


async def forward(*, context: RouterContext, body: bytes, headers: dict[str, str]) -> Response:
    """Answer one GraphQL request: the caller's kept home page, else Hive Gateway's answer.

    ``headers`` have lower-case names (Starlette's). A request that may
    change data drops its account's home pages before and after it runs
    (:mod:`reelstack.router.homecache`).
    """
    cache = context.home_cache
    if cache is None:
        return await _ask_hive(context=context, body=body, headers=headers)
    account = headers.get("x-account-id", "")
    key = cache.key(body, headers)
    if key is not None:
        generation = cache.generation(account)
        kept, mark = await cache.lookup(key)
        context.metrics.home_cache.labels("hit" if kept else "miss").inc()
        if kept is not None:
            if cache.due(kept) and key not in cache.flights:
                # Registered now, so the next hit finds it and starts no other.
                ahead = Flight(generation, mark, asyncio.get_running_loop().create_future())
                cache.flights[key] = ahead
                cache.behind(_fetch_home(context, cache, key, ahead, body, headers))
            return _answer(kept)
        on_way = cache.flights.get(key)
        if on_way is not None and on_way.generation == generation and on_way.mark == mark:
            # The same caller's same page is on its way, asked since their last
            # write: its answer serves both.
            shared = await asyncio.shield(on_way.answer)
            if shared is not None:
                return _answer(shared)
        flight = Flight(generation, mark, asyncio.get_running_loop().create_future())
        if key not in cache.flights:
            cache.flights[key] = flight
        return await _fetch_home(context, cache, key, flight, body, headers)
    changes = cache.changes(body)
    if changes:
        await cache.written(account)
    try:
        return await _ask_hive(context=context, body=body, headers=headers)
    finally:
        if changes:
            # Pages fetched while it ran may show the data before it: none is stored.
            await cache.written(account)


def _answer(kept: Answer) -> Response:
    return Response(kept.content, status_code=kept.status, media_type=kept.media_type)


async def _fetch_home(
    context: RouterContext,
    cache: HomeCache,
    key: Key,
    flight: Flight,
    body: bytes,
    headers: dict[str, str],
) -> Response:
    """Ask Hive for a page, keep it if whole, and hand it to callers that asked meanwhile.

    ``flight`` is the one registered in ``cache.flights`` (this fetch leads)
    or one nobody waits for (another fetch of the page was on its way).
    """
    leader = cache.flights.get(key) is flight
    fetched: Answer | None = None
    try:
        answer = await _ask_hive(context=context, body=body, headers=headers)
        content = bytes(answer.body)
        media_type = answer.media_type or "application/json"
        cache.put(key, flight.generation, answer.status_code, content, media_type, flight.mark)
        fetched = Answer(content, answer.status_code, media_type, 0.0, None)
        return answer
    finally:
        if leader:
            cache.flights.pop(key, None)
            # Waiters get this answer, or (None: it failed) ask for their own.
            flight.answer.set_result(fetched)


async def _ask_hive(*, context: RouterContext, body: bytes, headers: dict[str, str]) -> Response:
    url = context.gateway.url
    if url is None:
        served = ", ".join(sorted(context.status.served)) or "none"
        raise UnavailableError(
            f"the router serves no supergraph yet (subgraphs composed: {served}; "
            "see GET /router/status)"
        )
    if context.forward_session is None:
        context.forward_session = http_session(timeout_s=FORWARD_TIMEOUT_S)
    sent = {name: headers[name] for name in PROPAGATED_HEADERS if name in headers}
    sent["content-type"] = "application/json"
    sent["accept"] = headers.get("accept", "application/graphql-response+json, application/json")
    # No query string: a POST carries everything in its body.
    target = url + "/graphql"
    try:
        async with context.forward_session.post(target, data=body, headers=sent) as answer:
            content = await answer.read()
            return Response(
                content,
                status_code=answer.status,
                media_type=answer.headers.get("content-type", "application/json"),
            )
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise UnavailableError(f"hive gateway did not answer: {type(exc).__name__}: {exc}") from exc
