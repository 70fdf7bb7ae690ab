"""The router's use cases: look at the registry, compose when something changed, keep serving."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from reelstack.errors import UnavailableError
from reelstack.router.compose import write_atomically
from reelstack.router.context import RouterContext
from reelstack.router.discover import subgraph_sources
from reelstack.router.models import Composition, RouterStatus, Subgraph

log = logging.getLogger(__name__)


def blame(
    composition: Composition, subgraphs: Sequence[Subgraph], served: dict[str, Subgraph]
) -> tuple[dict[str, list[str]], list[str]]:
    """Return the subgraphs a failed composition is blamed on (with their errors) and the rest.

    An error naming subgraphs blames those of them that are new or changed
    since the supergraph being served (they are what broke it), else all it
    names; an error naming none blames every new or changed subgraph, and
    is kept unblamed only when nothing changed.
    """
    changed = {s.name for s in subgraphs if served.get(s.name) != s}
    broken: dict[str, list[str]] = {}
    unblamed: list[str] = []
    for error in composition.errors:
        named = set(error.subgraphs)
        suspects = (named & changed) or named or changed
        if not suspects:
            unblamed.append(error.message)
        for name in sorted(suspects):
            broken.setdefault(name, []).append(error.message)
    return broken, unblamed


async def gather_subgraphs(*, context: RouterContext) -> tuple[list[Subgraph], dict[str, str]]:
    """Return the subgraphs found in the registry with their SDL, and why others could not be had.

    A subgraph whose SDL cannot be fetched now keeps the SDL it is served
    with, as long as it is still registered at the same URL: one slow answer
    does not take a part of the graph away.
    """
    sources = subgraph_sources(context.instances(), own=context.service)
    found, failed = await context.fetch(sources)
    by_name = {s.name: s for s in found}
    for source in sources:
        kept = context.served.get(source.name)
        if source.name in failed and kept is not None and kept.url == source.url:
            by_name[source.name] = kept
    # A served subgraph whose instances are all gone stays a while: the
    # page's queries still validate, and its fields answer null with an
    # error naming it (an outage, a restart) instead of failing whole.
    now = time.monotonic()
    present = {source.name for source in sources}
    for name in list(context.absent_since):
        if name in present or name not in context.served:
            del context.absent_since[name]
    for name, kept in context.served.items():
        if name in present:
            continue
        since = context.absent_since.setdefault(name, now)
        if now - since < context.keep_absent_s:
            by_name[name] = kept
            failed.setdefault(name, "no instance is registered")
    return [by_name[name] for name in sorted(by_name)], failed


async def compose_once(*, context: RouterContext) -> bool:
    """Compose what the registry holds if it changed; return whether a new supergraph is served."""
    subgraphs, unreachable = await gather_subgraphs(context=context)
    status = context.status
    status.unreachable = unreachable
    for name, reason in unreachable.items():
        log.warning("subgraph %s: cannot fetch its SDL: %s", name, reason)
    current = tuple(subgraphs)
    if current == context.last_input:
        return False
    if not subgraphs:
        # Nothing to compose: a supergraph needs a query type. What is served
        # (if anything) stays until a subgraph comes back.
        if context.served:
            log.warning(
                "no subgraph is registered any more; keeping the supergraph of %s",
                ", ".join(sorted(context.served)),
            )
        context.last_input = current
        return False
    try:
        composition = await context.composer.compose(subgraphs)
    except UnavailableError as exc:
        # The composer failed, not a subgraph: try again at the next look.
        context.metrics.compositions.labels("error").inc()
        status.errors = [str(exc)]
        log.error("composition could not run: %s", exc)
        return False
    context.last_input = current
    status.compositions += 1
    if composition.supergraph is None:
        context.metrics.compositions.labels("failed").inc()
        status.failures += 1
        status.broken, status.errors = blame(composition, subgraphs, context.served)
        for name, messages in status.broken.items():
            context.metrics.refused.labels(name).inc()
            log.warning(
                "subgraph %s breaks composition, keeping the last good supergraph (%s): %s",
                name,
                ", ".join(sorted(context.served)) or "none yet",
                "; ".join(messages),
            )
        for message in status.errors:
            log.warning("composition failed: %s", message)
        return False
    await asyncio.to_thread(write_atomically, context.supergraph, composition.supergraph)
    context.served = {s.name: s for s in subgraphs}
    context.metrics.compositions.labels("ok").inc()
    context.metrics.served.set(len(subgraphs))
    status.served = {s.name: s.url for s in subgraphs}
    status.composed_at = time.time()
    status.broken, status.errors = {}, []
    context.gateway.supergraph_written()
    log.info("composed a supergraph of %s", ", ".join(f"{s.name} ({s.url})" for s in subgraphs))
    return True


async def compose_forever(context: RouterContext) -> None:
    """Background task: compose at start and again whenever the registry or an SDL changes."""
    try:
        while True:
            await compose_once(context=context)
            await asyncio.sleep(context.poll_s)
    finally:
        await context.close()


async def run_gateway(context: RouterContext) -> None:
    """Background task: run Hive Gateway on the supergraph until the instance stops."""
    await context.gateway.supervise()


def status_document(context: RouterContext) -> dict[str, object]:
    """What ``GET /router/status`` answers."""
    status: RouterStatus = context.status
    return {
        "served": status.served,
        "composed_at": status.composed_at,
        "broken": status.broken,
        "unreachable": status.unreachable,
        "errors": status.errors,
        "compositions": status.compositions,
        "failures": status.failures,
        "gateway": {"url": context.gateway.url, "restarts": context.gateway.restarts},
    }
