"""Wait until a condition holds: poll with a deadline, fail naming what was awaited.

Deadlines are generous (a minute by default): they bound a broken test, they
do not measure anything. A loaded 2-core machine may take many times longer
than an idle one, and how long something took is a benchmark's figure
(``bench/``), never a test's assertion.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

T = TypeVar("T")

WITHIN_S = 60.0
INTERVAL_S = 0.05
# A connection refused while a server starts means "not yet", not a failure.
IGNORING: tuple[type[Exception], ...] = (OSError,)


class _Attempts:
    """The deadline, the last result or error, and the message when time is up."""

    def __init__(self, what: str, within_s: float, log: Callable[[], str] | None) -> None:
        self.what = what
        self.within_s = within_s
        self.log = log
        self.deadline = time.monotonic() + within_s
        self.last: object = "no attempt finished"

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def fail(self) -> AssertionError:
        message = f"timed out after {self.within_s:g}s waiting for {self.what}; last: {self.last!r}"
        if self.log is not None:
            message += f"\n{self.log()}"
        return AssertionError(message)


def wait_until(
    check: Callable[[], T],
    what: str,
    *,
    done: Callable[[T], object] = bool,
    within_s: float = WITHIN_S,
    interval_s: float = INTERVAL_S,
    ignoring: tuple[type[Exception], ...] = IGNORING,
    log: Callable[[], str] | None = None,
) -> T:
    """Call ``check`` until ``done(result)`` (by default: the result is truthy); return it.

    An error of a type in ``ignoring`` counts as "not yet". At the deadline
    raise :class:`AssertionError` naming ``what``, with the last result or
    error and, when given, the text ``log()`` returns (a process's output).
    An :class:`AssertionError` raised by ``check`` itself ends the wait at once.
    """
    attempts = _Attempts(what, within_s, log)
    while True:
        try:
            result = check()
        except ignoring as exc:
            attempts.last = exc
        else:
            if done(result):
                return result
            attempts.last = result
        if attempts.expired():
            raise attempts.fail()
        time.sleep(interval_s)


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    what: str,
    *,
    done: Callable[[T], object] = ...,
    within_s: float = ...,
    interval_s: float = ...,
    ignoring: tuple[type[Exception], ...] = ...,
    log: Callable[[], str] | None = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    what: str,
    *,
    done: Callable[[T], object] = ...,
    within_s: float = ...,
    interval_s: float = ...,
    ignoring: tuple[type[Exception], ...] = ...,
    log: Callable[[], str] | None = ...,
) -> T: ...


async def eventually(
    check: Callable[[], object],
    what: str,
    *,
    done: Callable[[object], object] = bool,
    within_s: float = WITHIN_S,
    interval_s: float = INTERVAL_S,
    ignoring: tuple[type[Exception], ...] = IGNORING,
    log: Callable[[], str] | None = None,
) -> object:
    """:func:`wait_until` inside an event loop; ``check`` may be sync or async.

    Between attempts the loop runs, so whatever is awaited (a server task, a
    consumer's background work) makes progress.
    """
    attempts = _Attempts(what, within_s, log)
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
        except ignoring as exc:
            attempts.last = exc
        else:
            if done(result):
                return result
            attempts.last = result
        if attempts.expired():
            raise attempts.fail()
        await asyncio.sleep(interval_s)
