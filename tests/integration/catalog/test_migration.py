"""The catalog's copy of media's titles on PostgreSQL (SQLite's is a unit test)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.catalog.engines import ENGINES
from tests.unit.catalog.test_migration import check_copy


async def test_every_media_title_and_field_is_found_in_the_catalog_on_postgresql(
    tmp_path: Path,
) -> None:
    async with ENGINES["postgres"](tmp_path) as db:
        try:
            await check_copy(db)
        finally:
            await db.close()
