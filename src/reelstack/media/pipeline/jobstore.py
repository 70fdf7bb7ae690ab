"""The jobs tables behind the sql port, and the conditional transitions of the state machine.

Every transition is one ``UPDATE ... WHERE state IN (...)``: whichever worker's
update matches the row moves the job on, and a second worker doing the same
step (a redelivered task, a worker presumed dead that was only slow) matches
nothing and learns it lost. That is what makes each step's effect happen once
although tasks may run more than once. The tables are declared in :mod:`.tables`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import NotFoundError
from reelstack.media.pipeline.jobtypes import EncodeRequest, Job, JobState
from reelstack.media.pipeline.tables import jobs, parts
from reelstack.ports.sql import Database

ACTIVE = (
    JobState.QUEUED,
    JobState.PROBING,
    JobState.PLANNING,
    JobState.ENCODING,
    JobState.PACKAGING,
)
PART_PENDING = "pending"
PART_RUNNING = "running"
PART_DONE = "done"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a job: a chunk (``c0003``) or ``audio``."""

    job_id: str
    part: str
    state: str
    attempts: int
    output: dict[str, Any] | None
    worker: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class PartDone:
    """The outcome of recording a part as done."""

    won: bool
    """This attempt's output is the part's (False: another attempt got there first)."""
    parts_done: int
    parts_total: int

    @property
    def last(self) -> bool:
        """This attempt completed the job's last part."""
        return self.won and self.parts_done == self.parts_total


def _now() -> datetime:
    return datetime.now(UTC)


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        title_id=row.title_id,
        source_key=row.source_key,
        state=JobState(row.state),
        request=EncodeRequest.from_json(row.request),
        parts_total=row.parts_total,
        parts_done=row.parts_done,
        step_attempts=row.step_attempts,
        reason=row.reason,
        plan=row.plan,
        output_prefix=row.output_prefix,
        master_key=row.master_key,
        manifest_key=row.manifest_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _states(states: Iterable[JobState]) -> list[str]:
    return [s.value for s in states]


async def add(
    db: Database, *, job_id: str, title_id: str, source_key: str, request: EncodeRequest
) -> Job:
    """Store a new queued job."""
    now = _now()
    values = {
        "id": job_id,
        "title_id": title_id,
        "source_key": source_key,
        "request": request.to_json(),
        "state": JobState.QUEUED.value,
        "step_attempts": 0,
        "parts_total": 0,
        "parts_done": 0,
        "created_at": now,
        "updated_at": now,
    }

    async def work(session: AsyncSession) -> None:
        await session.execute(insert(jobs).values(**values))

    await db.transaction(work)
    return Job(
        id=job_id,
        title_id=title_id,
        source_key=source_key,
        state=JobState.QUEUED,
        request=request,
        created_at=now,
        updated_at=now,
    )


async def load(db: Database, job_id: str) -> Job:
    """A job by id; NotFoundError if missing."""
    async with db.session() as session:
        row = (await session.execute(select(jobs).where(jobs.c.id == job_id))).first()
    if row is None:
        raise NotFoundError(f"no encoding job {job_id!r}")
    return _job(row)


async def for_title(db: Database, title_id: str) -> list[Job]:
    """A title's jobs, newest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(jobs).where(jobs.c.title_id == title_id).order_by(jobs.c.created_at.desc())
        )
        return [_job(row) for row in rows]


async def ordinal(db: Database, job: Job) -> int:
    """How many jobs were submitted before this one (ties broken by id).

    Consecutive jobs get consecutive numbers, which is what spreads their
    parts' leftovers over the workers in turn (see :mod:`.tasks`).
    """
    async with db.session() as session:
        query = select(func.count()).select_from(jobs)
        if job.created_at is not None:
            query = query.where(
                or_(
                    jobs.c.created_at < job.created_at,
                    and_(jobs.c.created_at == job.created_at, jobs.c.id < job.id),
                )
            )
        else:
            query = query.where(jobs.c.id < job.id)
        return int((await session.execute(query)).scalar_one())


async def begin_step(
    db: Database,
    job_id: str,
    *,
    states: Iterable[JobState],
    to: JobState,
    parts_done: bool = False,
) -> int | None:
    """Move the job from one of ``states`` to ``to`` and count an attempt of that step.

    With ``parts_done``, only a job whose parts are all done moves. Returns the
    attempt number, or None if the job is in none of ``states``.
    """
    where = [jobs.c.id == job_id, jobs.c.state.in_(_states(states))]
    if parts_done:
        where.append(jobs.c.parts_done == jobs.c.parts_total)

    async def work(session: AsyncSession) -> int | None:
        result = await session.execute(
            update(jobs)
            .where(*where)
            .values(state=to.value, step_attempts=jobs.c.step_attempts + 1, updated_at=_now())
            .returning(jobs.c.step_attempts)
        )
        value = result.scalar_one_or_none()
        return None if value is None else int(value)

    return await db.transaction(work)


async def move(db: Database, job_id: str, *, states: Iterable[JobState], to: JobState) -> bool:
    """Move the job from one of ``states`` to ``to`` (same step, no attempt counted)."""

    async def work(session: AsyncSession) -> bool:
        result = await session.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_(_states(states)))
            .values(state=to.value, updated_at=_now())
            .returning(jobs.c.id)
        )
        return result.first() is not None

    return await db.transaction(work)


async def start_encoding(
    db: Database, job_id: str, *, plan: dict[str, Any], part_names: list[str]
) -> bool:
    """Store the plan, create the parts, and move planning -> encoding; False if already done."""

    async def work(session: AsyncSession) -> bool:
        now = _now()
        result = await session.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == JobState.PLANNING.value)
            .values(
                state=JobState.ENCODING.value,
                plan=plan,
                parts_total=len(part_names),
                parts_done=0,
                step_attempts=0,
                updated_at=now,
            )
            .returning(jobs.c.id)
        )
        if result.first() is None:
            return False
        await session.execute(
            insert(parts),
            [
                {
                    "job_id": job_id,
                    "part": name,
                    "state": PART_PENDING,
                    "attempts": 0,
                    "updated_at": now,
                }
                for name in part_names
            ],
        )
        return True

    return await db.transaction(work)


async def note(db: Database, job_id: str, *, reason: str) -> None:
    """Record why the current step's last attempt failed (the job stays where it is)."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(jobs).where(jobs.c.id == job_id).values(reason=reason[:4000], updated_at=_now())
        )

    await db.transaction(work)


async def load_parts(db: Database, job_id: str) -> dict[str, Part]:
    """A job's parts by name."""
    async with db.session() as session:
        rows = await session.execute(select(parts).where(parts.c.job_id == job_id))
        return {
            row.part: Part(
                row.job_id, row.part, row.state, row.attempts, row.output, row.worker, row.reason
            )
            for row in rows
        }


async def begin_part(db: Database, job_id: str, part: str, *, worker: str) -> int | None:
    """Count an attempt at a part not yet done; None if it is done (or unknown)."""

    async def work(session: AsyncSession) -> int | None:
        result = await session.execute(
            update(parts)
            .where(parts.c.job_id == job_id, parts.c.part == part, parts.c.state != PART_DONE)
            .values(
                state=PART_RUNNING, attempts=parts.c.attempts + 1, worker=worker, updated_at=_now()
            )
            .returning(parts.c.attempts)
        )
        value = result.scalar_one_or_none()
        return None if value is None else int(value)

    return await db.transaction(work)


async def part_failed(db: Database, job_id: str, part: str, *, reason: str) -> None:
    """Record why an attempt at a part failed (it stays to be done)."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(parts)
            .where(parts.c.job_id == job_id, parts.c.part == part, parts.c.state != PART_DONE)
            .values(state=PART_PENDING, reason=reason[:4000], updated_at=_now())
        )

    await db.transaction(work)


async def finish_part(db: Database, job_id: str, part: str, *, output: dict[str, Any]) -> PartDone:
    """Record a part's output and count it done, once: the first attempt to finish wins."""

    async def work(session: AsyncSession) -> PartDone:
        now = _now()
        won = await session.execute(
            update(parts)
            .where(parts.c.job_id == job_id, parts.c.part == part, parts.c.state != PART_DONE)
            .values(state=PART_DONE, output=output, reason=None, updated_at=now)
            .returning(parts.c.part)
        )
        if won.first() is None:
            row = (
                await session.execute(
                    select(jobs.c.parts_done, jobs.c.parts_total).where(jobs.c.id == job_id)
                )
            ).one()
            return PartDone(False, row.parts_done, row.parts_total)
        counted = (
            await session.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(parts_done=jobs.c.parts_done + 1, updated_at=now)
                .returning(jobs.c.parts_done, jobs.c.parts_total)
            )
        ).one()
        return PartDone(True, counted.parts_done, counted.parts_total)

    return await db.transaction(work)


async def publish(
    db: Database, job_id: str, *, output_prefix: str, master_key: str, manifest_key: str | None
) -> bool:
    """Move packaging -> published with where the title now lives; False if not packaging."""

    async def work(session: AsyncSession) -> bool:
        now = _now()
        result = await session.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == JobState.PACKAGING.value)
            .values(
                state=JobState.PUBLISHED.value,
                output_prefix=output_prefix,
                master_key=master_key,
                manifest_key=manifest_key,
                updated_at=now,
                finished_at=now,
            )
            .returning(jobs.c.id)
        )
        return result.first() is not None

    return await db.transaction(work)


async def fail(db: Database, job_id: str, *, reason: str) -> bool:
    """Move an unfinished job to failed with ``reason``; False if it had already ended."""

    async def work(session: AsyncSession) -> bool:
        now = _now()
        result = await session.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_(_states(ACTIVE)))
            .values(
                state=JobState.FAILED.value, reason=reason[:4000], updated_at=now, finished_at=now
            )
            .returning(jobs.c.id)
        )
        return result.first() is not None

    return await db.transaction(work)
