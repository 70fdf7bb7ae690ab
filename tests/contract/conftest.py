"""Shared helpers for the contract suites: polling, and workers in other OS processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    timeout_s: float = 5.0,
    interval_s: float = 0.05,
) -> T:
    """Call ``probe`` until ``done(result)``; fail with the last result at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s; last: {result!r}")
        await asyncio.sleep(interval_s)


def barrier(folder: Path, name: str, parties: int, timeout_s: float = 30.0) -> None:
    """Block until ``parties`` processes have reached the barrier named ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.{os.getpid()}").touch()
    deadline = time.monotonic() + timeout_s
    while len(list(folder.glob(f"{name}.*"))) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier {name}: fewer than {parties} processes arrived")
        time.sleep(0.01)


def run_in_processes(
    target: Callable[..., T], arguments: Sequence[tuple[Any, ...]], timeout_s: float = 60.0
) -> list[T]:
    """Run ``target(*args)`` in one fresh OS process per entry; return their results.

    ``target`` must be a module-level function (the processes are spawned,
    not forked). Every process is terminated on the way out, even on failure.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(arguments)) as pool:
        pending = pool.starmap_async(target, arguments)
        return pending.get(timeout_s)


async def in_processes(
    target: Callable[..., T], arguments: Sequence[tuple[Any, ...]], timeout_s: float = 60.0
) -> list[T]:
    """:func:`run_in_processes` without blocking the event loop."""
    return await asyncio.to_thread(run_in_processes, target, arguments, timeout_s)
