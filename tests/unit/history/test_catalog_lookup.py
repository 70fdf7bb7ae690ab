"""History asks the real catalog, over HTTP through the resilient client, as the caller.

Next Up's episodes, and which of a profile's titles it may see.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.bootstrap import Adapters
from reelstack.catalog.app import create_app
from reelstack.chassis.app import chassis_of
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.config import Config
from reelstack.errors import ReelstackError
from reelstack.history.catalog import CatalogLookup, CatalogTitleFilter
from reelstack.history.models import Caller, Episode
from tests.unit.catalog.conftest import database, fill
from tests.unit.chassis.conftest import served


async def test_next_up_skips_what_the_profile_may_not_see(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config()
    adapters = Adapters(
        config,
        _built={"sql": database(tmp_path / "sql.db"), "log": SqliteEventLog(tmp_path / "log.db")},
    )
    catalog = create_app(config, adapters=adapters, consume=False)
    async with served(catalog, "catalog") as port:
        from reelstack.catalog.context import CatalogContext

        await fill(chassis_of(catalog).context_as(CatalogContext))
        adult = Caller("acc1", "prof1", maturity="adults", region="US")
        kid = Caller("acc1", "kid1", maturity="kids", region="US")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as plain:
            first = (await plain.get("/catalog/titles/ep1", headers=adult.headers())).json()
        series = first["series_id"]
        info = InstanceInfo("catalog", "catalog-1", "127.0.0.1", port, "a")
        async with ResilientClient(StaticDiscovery([info])) as client:
            lookup = CatalogLookup(lambda: client)
            after_first = Episode(series, 1, 1)
            # Episode 2 is TV-MA: an adult gets it, a kids profile the one after.
            adult_next = await lookup(after_first, adult)
            assert adult_next is not None and adult_next.title_id == "ep2"
            kid_next = await lookup(after_first, kid)
            assert kid_next is not None and kid_next.title_id == "ep3"
            assert (kid_next.season, kid_next.episode) == (1, 3)
            # The series ends after episode 3; an unknown series has nothing next.
            assert await lookup(Episode(series, 1, 3), adult) is None
            assert await lookup(Episode("nosuchseries", 1, 1), adult) is None
            shown = CatalogTitleFilter(lambda: client)
            ids = ["kidsfilm", "adultfilm", "ep1", "ep2", "nosuchtitle"]
            assert await shown(ids, kid) == {"kidsfilm", "ep1"}
            assert await shown(ids, adult) == {"kidsfilm", "adultfilm", "ep1", "ep2"}
    # Catalog gone: Next Up leaves the series out instead of failing; the
    # filter fails (a restricted profile's list is never shown unchecked).
    async with ResilientClient(StaticDiscovery([info])) as client:
        assert await CatalogLookup(lambda: client)(Episode(series, 1, 1), adult) is None
        with pytest.raises(ReelstackError):
            await CatalogTitleFilter(lambda: client)(["kidsfilm"], kid)
