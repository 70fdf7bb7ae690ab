"""Shared helpers for the contract suites: workers in other OS processes, and a barrier."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tests.support.wait import WITHIN_S, wait_until

T = TypeVar("T")


def barrier(folder: Path, name: str, parties: int, timeout_s: float = WITHIN_S) -> None:
    """Block until ``parties`` processes have reached the barrier named ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.{os.getpid()}").touch()
    wait_until(
        lambda: len(list(folder.glob(f"{name}.*"))) >= parties,
        f"{parties} processes at barrier {name}",
        within_s=timeout_s,
        interval_s=0.01,
    )


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
