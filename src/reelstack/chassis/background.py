"""Background tasks the chassis runs while an instance serves.

A background task is an ``async`` function taking the service's context
(see :func:`reelstack.chassis.create_service_app`'s ``context=``) and running
until it is cancelled or its work is done. The chassis starts every task once
start-up has finished (adapters opened, context built, start-up hooks run)
and, at shutdown, cancels them and waits for them before the start-up hooks'
counterparts and the adapters close.

A task that returns has simply finished. A task that raises is logged with
its name and traceback and fails the instance (:meth:`Chassis.fail`): the
process exits non-zero and the supervisor starts another, as it does for any
instance that cannot do its work. A task that must not lose work to a
cancellation (a worker finishing the job in hand) is written with
:func:`graceful`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypeVar

log = logging.getLogger(__name__)

C = TypeVar("C")

Background: TypeAlias = Callable[[C], Awaitable[None]]
"""A background task: an async function of the service's context."""


def task_name(function: Callable[..., Any]) -> str:
    """Return ``module:qualname`` of ``function``, the name its logs and its task carry."""
    module = getattr(function, "__module__", None) or "?"
    name = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}:{name}"


def resolve(reference: str) -> Background[Any]:
    """Import a ``"module:function"`` reference (a spec's ``background`` entry)."""
    module_name, sep, attr = reference.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"a background task is named 'module:function', not {reference!r}")
    function = getattr(importlib.import_module(module_name), attr, None)
    if function is None or not callable(function):
        raise ValueError(f"{reference}: no such function")
    found: Background[Any] = function
    return found


class BackgroundTasks:
    """Starts one instance's background tasks, watches them and stops them.

    ``on_fatal(exc)`` is called when a task raises while the instance serves
    (the chassis passes :meth:`Chassis.fail`).
    """

    def __init__(
        self, functions: Iterable[Background[Any]], *, on_fatal: Callable[[BaseException], None]
    ) -> None:
        self.functions = tuple(functions)
        self.on_fatal = on_fatal
        self.tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self, context: object) -> None:
        """Start every task with ``context``; call from inside the event loop."""
        self._stopping = False
        for function in self.functions:
            name = task_name(function)
            task = asyncio.create_task(_run(function, context), name=name)
            task.add_done_callback(self._finished)
            self.tasks.append(task)
            log.debug("background task %s started", name, extra={"task": name})

    def _finished(self, task: asyncio.Task[None]) -> None:
        name = task.get_name()
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            log.info("background task %s finished", name, extra={"task": name})
            return
        if self._stopping:
            # It failed while being cancelled: nothing left to fail, but the
            # cleanup it could not do is worth knowing about.
            log.error(
                "background task %s failed while stopping",
                name,
                exc_info=exc,
                extra={"task": name},
            )
            return
        log.error(
            "background task %s failed: %s: %s",
            name,
            type(exc).__name__,
            exc,
            exc_info=exc,
            extra={"task": name, "error": type(exc).__name__},
        )
        self.on_fatal(exc)

    async def stop(self) -> None:
        """Cancel every task still running and wait until each has ended."""
        self._stopping = True
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task.cancel()
        # Each task's outcome is logged by its done callback.
        await asyncio.gather(*tasks, return_exceptions=True)


async def _run(function: Background[Any], context: object) -> None:
    # A coroutine of our own, so a function that returns any awaitable (not
    # only a coroutine) can still be a task.
    await function(context)


def graceful(run: Callable[[C, asyncio.Event], Awaitable[None]]) -> Background[C]:
    """Adapt ``run(context, stop)``, which ends soon after ``stop`` is set, to a background task.

    When the chassis cancels the task, ``stop`` is set and ``run`` is left to
    finish what it is doing (the cancellation does not reach it); the task
    ends when ``run`` returns. Use it for work that must not be cut in the
    middle, such as a worker's task in hand.
    """

    async def background(context: C) -> None:
        stop = asyncio.Event()
        inner = asyncio.ensure_future(run(context, stop))
        try:
            await asyncio.shield(inner)
        except asyncio.CancelledError:
            stop.set()
            await inner
            raise

    background.__qualname__ = getattr(run, "__qualname__", background.__qualname__)
    background.__module__ = getattr(run, "__module__", background.__module__)
    return background
