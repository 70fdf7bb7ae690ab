"""CPU per catalog subgraph call, in process: the router's entity fetch beside the floor.

The home page's largest Python cost was catalog's ``_entities`` fetch (the
rows' titles). This measures it without a cluster, the network or other
processes: catalog's app on a temporary SQLite store filled as the unit
tests fill it, driven through httpx's ASGI transport, CPU time (all of the
process's threads: aiosqlite's and FastAPI's worker threads count) per call
over ``BENCH_SUBGRAPH_CALLS`` calls after a warm-up. The anchor is
``{ __typename }`` on the same app: what any subgraph call costs (FastAPI,
the chassis middleware, Strawberry's request handling, httpx's in-process
client). CPU time, not wall time: another process's load on the shared cores
changes it little, so a change can be measured while others work.

``BENCH_SUBGRAPH_PROFILE=1`` prints cProfile's top functions of the entity
fetch (``BENCH_SUBGRAPH_SORT``: tottime or cumulative) after the figures.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Result, header, report  # noqa: E402

CALLS = int(os.environ.get("BENCH_SUBGRAPH_CALLS", "500"))
PROFILE = os.environ.get("BENCH_SUBGRAPH_PROFILE", "0") == "1"
SORT = os.environ.get("BENCH_SUBGRAPH_SORT", "tottime")
# A page's rows: 28 items over 7 titles, as the router sends them (repeats included).
IDS = ["kidsfilm", "famfilm", "teenfilm", "ep1", "ep3", "adultfilm", "ep2"] * 4
ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Title { __typename id name } }
}"""
FLOOR = "{ __typename }"


async def cpu_ms_per_call(client: Any, body: dict[str, Any], headers: dict[str, str]) -> float:
    for _ in range(50):  # warm: caches, the parsed document, the titles
        answer = await client.post("/graphql", json=body, headers=headers)
    if answer.status_code != 200 or "errors" in answer.json():
        raise RuntimeError(f"the call failed: {answer.text[:300]}")
    started = time.process_time()
    for _ in range(CALLS):
        await client.post("/graphql", json=body, headers=headers)
    return 1000 * (time.process_time() - started) / CALLS


async def main() -> None:
    # The unit tests' catalog: a real SQLite store and the same small fill.
    from reelstack import settings
    from reelstack.adapters.log.sqlite import SqliteEventLog
    from reelstack.bootstrap import Adapters
    from reelstack.catalog.app import create_app
    from reelstack.catalog.context import CatalogContext
    from reelstack.chassis.app import chassis_of
    from reelstack.config import Config
    from tests.unit.catalog.conftest import ADULT, database, fill
    from tests.unit.chassis.conftest import started

    header()
    with tempfile.TemporaryDirectory(prefix="bench-subgraph-") as raw:
        tmp = Path(raw)
        environ = {
            "REELSTACK_HOME": str(tmp),
            "REELSTACK_SERVICE_NAME": "catalog",
            "REELSTACK_SERVICE_PORT": "18197",
        }
        config = Config.load(settings.REGISTRY, environ=environ)
        built = {"sql": database(tmp / "sql.db"), "log": SqliteEventLog(tmp / "log.db")}
        app = create_app(config, adapters=Adapters(config, _built=built), consume=False)
        async for client in started(app):
            await fill(chassis_of(app).context_as(CatalogContext))
            representations = [{"__typename": "Title", "id": i} for i in IDS]
            entities = {"query": ENTITIES, "variables": {"representations": representations}}
            floor = await cpu_ms_per_call(client, {"query": FLOOR}, ADULT)
            fetch = await cpu_ms_per_call(client, entities, ADULT)
            report(
                Result(
                    f"catalog _entities fetch of {len(IDS)} titles, CPU per call",
                    fetch,
                    "ms",
                    "{ __typename } on the same app",
                    floor,
                )
            )
            if PROFILE:
                profiler = cProfile.Profile()
                profiler.enable()
                await cpu_ms_per_call(client, entities, ADULT)
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stderr).sort_stats(SORT).print_stats(40)


if __name__ == "__main__":
    asyncio.run(main())
