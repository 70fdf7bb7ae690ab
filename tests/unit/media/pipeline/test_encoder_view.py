"""What the media service reports of a job: its step and each chunk's state (in-memory SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.bootstrap import Adapters
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.encoder import PipelineEncoder
from reelstack.media.pipeline.jobtypes import EncodeRequest, JobState


class _Adapters:
    def __init__(self, sql: SqlAlchemyDatabase) -> None:
        self.sql = sql


@pytest.fixture
async def db() -> AsyncIterator[SqlAlchemyDatabase]:
    database = SqlAlchemyDatabase("sqlite+aiosqlite:///:memory:")
    await database.open()
    await database.migrate()
    yield database
    await database.close()


async def test_a_job_in_encoding_reports_its_step_and_each_part(db: SqlAlchemyDatabase) -> None:
    encoder = PipelineEncoder(cast(Adapters, cast(Any, _Adapters(db))))
    await jobstore.add(db, job_id="j1", title_id="t1", source_key="up/t1", request=EncodeRequest())
    queued = await encoder.get("j1")
    assert (queued.step, queued.parts, queued.parts_total) == ("queued", [], 0)
    await jobstore.begin_step(db, "j1", states=(JobState.QUEUED,), to=JobState.PROBING)
    await jobstore.move(db, "j1", states=(JobState.PROBING,), to=JobState.PLANNING)
    plan = {"chunks": [], "audio": None}
    await jobstore.start_encoding(db, "j1", plan=plan, part_names=["c0001", "audio", "c0000"])
    await jobstore.begin_part(db, "j1", "c0000", worker="w1")
    await jobstore.finish_part(db, "j1", "c0000", output={})
    await jobstore.begin_part(db, "j1", "c0001", worker="w1")
    view = await encoder.get("j1")
    assert view.step == "encoding"
    assert (view.parts_done, view.parts_total) == (1, 3)
    assert [(p["part"], p["state"], p["attempts"]) for p in view.parts] == [
        ("audio", "pending", 0),
        ("c0000", "done", 1),
        ("c0001", "running", 1),
    ]
