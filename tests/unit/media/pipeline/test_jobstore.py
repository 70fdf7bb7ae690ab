"""The jobs' state machine: conditional transitions, parts counted once (in-memory SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.errors import NotFoundError
from reelstack.media.pipeline import jobstore
from reelstack.media.pipeline.jobtypes import EncodeRequest, JobState

PLAN = {"chunks": [], "audio": None}


@pytest.fixture
async def db() -> AsyncIterator[SqlAlchemyDatabase]:
    database = SqlAlchemyDatabase("sqlite+aiosqlite:///:memory:")
    await database.open()
    await database.migrate()
    yield database
    await database.close()


async def _queued(db: SqlAlchemyDatabase, job_id: str = "j1") -> None:
    await jobstore.add(
        db, job_id=job_id, title_id="t1", source_key="up/t1", request=EncodeRequest()
    )


async def _encoding(db: SqlAlchemyDatabase, parts: list[str], job_id: str = "j1") -> None:
    await _queued(db, job_id)
    assert (
        await jobstore.begin_step(db, job_id, states=(JobState.QUEUED,), to=JobState.PROBING) == 1
    )
    assert await jobstore.move(db, job_id, states=(JobState.PROBING,), to=JobState.PLANNING)
    assert await jobstore.start_encoding(db, job_id, plan=PLAN, part_names=parts)


async def test_jobs_are_numbered_in_the_order_they_came(db: SqlAlchemyDatabase) -> None:
    ids = ["jc", "jb", "ja"]  # submitted in this order, against the order of their ids
    for job_id in ids:
        await _queued(db, job_id)
    numbers = [await jobstore.ordinal(db, await jobstore.load(db, job_id)) for job_id in ids]
    assert numbers == [0, 1, 2]


async def test_only_one_worker_moves_a_job_through_each_step(db: SqlAlchemyDatabase) -> None:
    await _queued(db)
    first = await jobstore.begin_step(
        db, "j1", states=(JobState.QUEUED, JobState.PROBING), to=JobState.PROBING
    )
    # A redelivered job task may probe again (a worker died mid-probe); it counts.
    again = await jobstore.begin_step(
        db, "j1", states=(JobState.QUEUED, JobState.PROBING), to=JobState.PROBING
    )
    assert (first, again) == (1, 2)
    assert await jobstore.move(db, "j1", states=(JobState.PROBING,), to=JobState.PLANNING)
    assert await jobstore.start_encoding(db, "j1", plan=PLAN, part_names=["c0000", "audio"])
    # The second planner finds the job already encoding and creates nothing.
    assert not await jobstore.start_encoding(db, "j1", plan=PLAN, part_names=["c0000", "c0001"])
    job = await jobstore.load(db, "j1")
    assert (job.state, job.parts_total, job.step_attempts) == (JobState.ENCODING, 2, 0)
    assert set(await jobstore.load_parts(db, "j1")) == {"c0000", "audio"}


async def test_a_part_is_counted_done_once_whoever_finishes_it(db: SqlAlchemyDatabase) -> None:
    await _encoding(db, ["c0000", "c0001"])
    assert await jobstore.begin_part(db, "j1", "c0000", worker="w1") == 1
    assert await jobstore.begin_part(db, "j1", "c0000", worker="w2") == 2
    won = await jobstore.finish_part(db, "j1", "c0000", output={"attempt": 2})
    lost = await jobstore.finish_part(db, "j1", "c0000", output={"attempt": 1})
    assert (won.won, won.parts_done, won.last) == (True, 1, False)
    assert (lost.won, lost.parts_done) == (False, 1)
    assert (await jobstore.load_parts(db, "j1"))["c0000"].output == {"attempt": 2}
    # A done part takes no more attempts.
    assert await jobstore.begin_part(db, "j1", "c0000", worker="w3") is None
    last = await jobstore.finish_part(db, "j1", "c0001", output={"attempt": 1})
    assert last.last


async def test_packaging_waits_for_every_part_and_publishes_once(db: SqlAlchemyDatabase) -> None:
    await _encoding(db, ["c0000", "c0001"])
    await jobstore.finish_part(db, "j1", "c0000", output={})
    states = (JobState.ENCODING, JobState.PACKAGING)
    assert (
        await jobstore.begin_step(db, "j1", states=states, to=JobState.PACKAGING, parts_done=True)
        is None
    )
    await jobstore.finish_part(db, "j1", "c0001", output={})
    assert (
        await jobstore.begin_step(db, "j1", states=states, to=JobState.PACKAGING, parts_done=True)
        == 1
    )
    keys = {
        "output_prefix": "media/t1/j1",
        "master_key": "media/t1/j1/master.m3u8",
        "manifest_key": None,
    }
    assert await jobstore.publish(db, "j1", **keys)
    assert not await jobstore.publish(db, "j1", **keys)
    assert not await jobstore.fail(db, "j1", reason="too late")
    job = await jobstore.load(db, "j1")
    assert (job.state, job.master_key, job.reason) == (
        JobState.PUBLISHED,
        "media/t1/j1/master.m3u8",
        None,
    )
    assert job.finished_at is not None and job.progress == 1.0


async def test_a_failed_job_stays_failed_with_its_reason(db: SqlAlchemyDatabase) -> None:
    await _encoding(db, ["c0000"])
    assert await jobstore.fail(db, "j1", reason="ffmpeg failed (exit status 1): broken")
    assert not await jobstore.fail(db, "j1", reason="second")
    states = (JobState.ENCODING, JobState.PACKAGING)
    assert await jobstore.begin_step(db, "j1", states=states, to=JobState.PACKAGING) is None
    job = await jobstore.load(db, "j1")
    assert (job.state, job.reason) == (JobState.FAILED, "ffmpeg failed (exit status 1): broken")


async def test_jobs_are_found_by_id_and_title(db: SqlAlchemyDatabase) -> None:
    await _queued(db, "j1")
    await _queued(db, "j2")
    assert [j.id for j in await jobstore.for_title(db, "t1")] == ["j2", "j1"]
    with pytest.raises(NotFoundError):
        await jobstore.load(db, "nope")
