"""What the router does when a subgraph is slow or down, and the faults that make it so.

**Fallbacks.** A subgraph listed in :data:`FALLBACKS` has one: when its
fetch fails or takes longer than ``router.fallback_timeout_s``, Hive Gateway
(``serve.mjs``) asks this instance for a stand-in root value and answers the
subgraph's part of the query from it, as Hystrix's fallbacks answered for a
slow service on Netflix's home page. Recommendations' stand-in is the row
set its builder last cached for the caller's region and maturity level
(:func:`reelstack.recommendations.client.cached_rows`), marked ``fallback``
and with the failure named in its ``errors``; the page's other parts (titles
from catalog, progress from history) are resolved as usual.

**Faults.** The gateway's fault rules (``gateway.faults.routes``, by route
prefix) also hold for the router's calls into the same service: the
router maps each rule's prefix to the service the route leads to and hands
the rules to Hive Gateway in a file beside the supergraph, rewritten when
the runtime property changes. A chaos experiment that slows a service
through the gateway slows it for the graph too, instead of the graph
quietly going around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from reelstack.chassis.caller import Caller
from reelstack.chassis.routing import Route
from reelstack.gateway.settings import FaultSpec
from reelstack.ports import Cache
from reelstack.recommendations import client as recommendations
from reelstack.router.compose import write_atomically

FAULTS_FILE = "faults.json"

FALLBACKS = (recommendations.SERVICE,)
"""Subgraphs the router can stand in for (from the cache their service fills)."""


def subgraph_faults(
    rules: Iterable[tuple[str, FaultSpec]], routes: Iterable[Route]
) -> dict[str, dict[str, Any]]:
    """The fault rules by the service their route prefix leads to, as ``serve.mjs`` reads them.

    A rule whose prefix is no route's (a typo, a service not installed) is
    left out: the gateway would never apply it either.
    """
    services = {route.prefix: route.service for route in routes}
    faults: dict[str, dict[str, Any]] = {}
    for prefix, spec in rules:
        service = services.get(prefix)
        if service is None:
            continue
        faults[service] = {
            "delay_ms": round(spec.delay_s * 1000),
            "abort": spec.abort_status,
            "pct": spec.percent,
        }
    return faults


def write_faults(path: Path, faults: Mapping[str, Mapping[str, Any]]) -> bool:
    """Replace the faults file atomically; False when it already says the same."""
    text = orjson.dumps(faults, option=orjson.OPT_SORT_KEYS).decode()
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, text)
    return True


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A cached row (``recommendations.models.Row.to_json``) in the subgraph's ``Row`` shape."""
    items = []
    for item in row.get("items", ()):
        key = {"id": str(item["id"])}
        series = item.get("kind") == "series"
        items.append(
            {
                "title": None if series else key,
                "series": key if series else None,
                "progress": item.get("progress"),
            }
        )
    return {"id": str(row["id"]), "name": str(row["name"]), "items": items}


async def recommendations_root(
    cache: Cache, caller: Caller, *, default_region: str, failure: str
) -> dict[str, Any]:
    """The root value that answers recommendations' subgraph from the cached rows."""
    page = await recommendations.cached_rows(
        cache, caller, default_region=default_region, failure=failure
    )
    return {
        "home": {
            "region": page["region"],
            "maturity": page["maturity"],
            "fallback": True,
            "rows": [_row(row) for row in page["rows"]],
            "errors": page["errors"],
        }
    }
