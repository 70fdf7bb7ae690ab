"""asyncio over the Cassandra driver: awaiting its ResponseFutures, and its errors as ours.

The driver completes requests on its own I/O thread and calls back there.
:func:`gather_pages` attaches callbacks that hand each outcome to the event
loop with ``call_soon_threadsafe`` (fetching further pages from the I/O
thread first), so awaiting a request ties up no thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from cassandra import InvalidRequest, RequestValidationException, Unauthorized
from cassandra.cluster import NoHostAvailable

from reelstack.errors import (
    InvalidRequestError,
    NotFoundError,
    RecordTooLargeError,
    ReelstackError,
    UnavailableError,
)


async def gather_pages(future: Any) -> list[Sequence[Any]]:
    """Await a driver ResponseFuture from asyncio, fetching every page."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Sequence[Any]]] = loop.create_future()
    rows: list[Sequence[Any]] = []

    def settle(result: list[Sequence[Any]] | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(rows if result is None else result)

    def on_page(page: Any) -> None:
        # Runs on the driver's I/O thread; an exception here would be dropped.
        try:
            if page:
                rows.extend(page)
            if future.has_more_pages:
                future.start_fetching_next_page()
                return
            loop.call_soon_threadsafe(settle, rows, None)
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(settle, None, exc)

    def on_error(exc: BaseException) -> None:
        loop.call_soon_threadsafe(settle, None, exc)

    future.add_callbacks(on_page, on_error)
    return await done


def translate(exc: BaseException, action: str, where: str) -> ReelstackError:
    """A driver exception as reelstack's own error, naming what was being done."""
    message = str(exc)
    if isinstance(exc, InvalidRequest):
        lowered = message.lower()
        if "unconfigured table" in lowered or "does not exist" in lowered:
            return NotFoundError(f"{action}: {message}")
        # Over native_transport_max_frame_size, or over half a commit log segment.
        if any(word in lowered for word in ("exceeds allowed maximum", "oversized", "too large")):
            return RecordTooLargeError(f"{action}: {message}")
        return InvalidRequestError(f"{action}: {message}")
    if isinstance(exc, Unauthorized):
        return InvalidRequestError(f"{action}: not allowed on Cassandra at {where}: {message}")
    if isinstance(exc, RequestValidationException):
        return InvalidRequestError(f"{action}: {message}")
    if isinstance(exc, NoHostAvailable):
        return UnavailableError(f"{action}: no Cassandra node at {where} answered: {reasons(exc)}")
    # Timeouts, too few replicas up, a lost connection: retrying may help.
    return UnavailableError(f"{action} on Cassandra at {where}: {message}")


def reasons(exc: Any) -> str:
    """Why each contact point of a NoHostAvailable failed."""
    errors = getattr(exc, "errors", None) or {}
    if not errors:
        # The driver knows every node is down and did not try one.
        return "no node is up"
    return "; ".join(f"{host}: {error}" for host, error in errors.items())
