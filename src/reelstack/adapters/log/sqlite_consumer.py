"""SqliteConsumer: one member of a consumer group on the shared log file.

The group protocol (heartbeats, expiry, range assignment, leases with epochs,
fenced commits) is in :mod:`reelstack.adapters.log.group`; this module keeps a
member's local state: the partitions it holds, at which epoch, and its read
position in each. Positions live in memory only; a member that (re)claims a
partition starts from the group's committed offset, else ``auto_offset_reset``.

``poll`` waits for records by polling the file with a growing pause (2 ms up
to 50 ms): another process's appends are only visible through the file, and a
pause keeps an idle consumer from spinning a core.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Literal

from reelstack.adapters.log import (
    check_consumer,
    check_group_name,
    group,
)
from reelstack.adapters.log.store import Topic, fetch
from reelstack.errors import InvalidRequestError, NotAssignedError
from reelstack.ports.log import Record, TopicPartition

if TYPE_CHECKING:
    from reelstack.adapters.log.sqlite import SqliteEventLog

log = logging.getLogger(__name__)

MIN_WAIT_S = 0.002
MAX_WAIT_S = 0.05
# Heartbeat (a write) at least 4 times per session timeout, and at least every second:
# the others notice a dead member at their heartbeat after its session ran out.
MAX_HEARTBEAT_S = 1.0


class _Held:
    """A partition this member holds: the lease's epoch and the read position."""

    __slots__ = ("committed", "epoch", "position")

    def __init__(self, epoch: int, position: int, committed: int | None) -> None:
        self.epoch = epoch
        self.position = position
        self.committed = committed


class SqliteConsumer:
    """A consumer-group member reading topics of a :class:`SqliteEventLog`."""

    def __init__(
        self,
        owner: SqliteEventLog,
        group_id: str,
        topics: Sequence[str],
        *,
        member_id: str | None,
        session_timeout_ms: int,
        auto_offset_reset: Literal["earliest", "latest"],
    ) -> None:
        self.topics, self._member_id = check_consumer(
            topics,
            member_id=member_id,
            session_timeout_ms=session_timeout_ms,
            auto_offset_reset=auto_offset_reset,
        )
        self._log = owner
        self.group_id = check_group_name(group_id)
        self.session_timeout_ms = session_timeout_ms
        self.auto_offset_reset = auto_offset_reset
        self._heartbeat_s = min(MAX_HEARTBEAT_S, session_timeout_ms / 4000)
        self._topics: dict[str, Topic] = {}
        self._held: dict[TopicPartition, _Held] = {}
        self._started = False
        self._generation = -1
        self._last_step = 0.0
        # Step at the next poll: membership moved, or a partition is still to be taken.
        self._step_soon = True
        self._rotation = 0

    @property
    def member_id(self) -> str:
        return self._member_id

    def __repr__(self) -> str:
        return f"SqliteConsumer(group={self.group_id!r}, member={self._member_id!r})"

    async def start(self) -> None:
        """Join the group (NotFoundError if a topic does not exist)."""
        if self._started:
            return
        for name in self.topics:
            self._topics[name] = await self._log.topic(name)
        self._started = True
        self._log.track(self)
        await self._step()

    async def stop(self) -> None:
        """Leave the group: its partitions go to the other members at their next poll."""
        if not self._started:
            return
        self._started = False
        self._held.clear()
        self._log.untrack(self)
        await self._log.db.write(
            partial(group.leave, group=self.group_id, member=self._member_id),
            action=f"leave consumer group {self.group_id!r}",
        )

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this member holds now."""
        return frozenset(self._held)

    async def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from ``offset`` at the next poll."""
        if not isinstance(offset, int) or offset < 0:
            raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
        held = self._held.get(tp)
        if held is None:
            raise NotAssignedError(f"{self!r} does not hold {tp.topic}[{tp.partition}]")
        held.position = offset

    async def poll(self, *, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        """Heartbeat, rebalance if membership changed, and return the next records."""
        if not self._started:
            raise InvalidRequestError(f"{self!r} is not started: call start() first")
        if max_records < 1:
            raise InvalidRequestError(f"max_records must be >= 1, got {max_records}")
        deadline = time.monotonic() + max(timeout_s, 0.0)
        wait = MIN_WAIT_S
        while True:
            if self._step_soon or time.monotonic() - self._last_step >= self._heartbeat_s:
                await self._step()
            records = await self._fetch(max_records)
            if records or not self._started:
                return records
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return records
            await asyncio.sleep(min(wait, remaining))
            wait = min(wait * 2, MAX_WAIT_S)

    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit next-offsets (default: the position after the last polled records).

        All or none: if this member no longer holds one of the partitions, no
        offset is committed, NotAssignedError is raised, and each of them is
        re-read from the group's committed offset if this member holds it again.
        """
        if offsets is None:
            todo = {tp: h.position for tp, h in self._held.items() if h.position != h.committed}
        else:
            todo = dict(offsets)
            for offset in todo.values():
                if not isinstance(offset, int) or offset < 0:
                    raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
            missing = [tp for tp in todo if tp not in self._held]
            if missing:
                raise NotAssignedError(f"{self!r} does not hold {_names(missing)}")
        if not todo:
            return
        rows = [
            (tp.topic, tp.partition, self._held[tp].epoch, offset) for tp, offset in todo.items()
        ]
        try:
            await self._log.db.write(
                partial(
                    group.commit,
                    group=self.group_id,
                    member=self._member_id,
                    offsets=rows,
                    now_ms=_now_ms(),
                ),
                action=f"commit offsets of group {self.group_id!r}",
            )
        except group.Fenced as exc:
            for tp in todo:
                self._held.pop(tp, None)
            self._step_soon = True
            raise NotAssignedError(
                f"{self!r} no longer holds {exc}: another member may be reading it; "
                "nothing was committed"
            ) from None
        for tp, offset in todo.items():
            held = self._held.get(tp)
            if held is not None:
                held.committed = offset

    async def _step(self) -> None:
        result = await self._log.db.write(
            partial(
                group.step,
                group=self.group_id,
                member=self._member_id,
                topics=self.topics,
                session_timeout_ms=self.session_timeout_ms,
                now_ms=_now_ms(),
            ),
            action=f"heartbeat in consumer group {self.group_id!r}",
        )
        held: dict[TopicPartition, _Held] = {}
        for lease in result.leases:
            tp = TopicPartition(lease.topic, lease.partition)
            mine = self._held.get(tp)
            if mine is not None and mine.epoch == lease.epoch:
                held[tp] = mine
                continue
            if lease.committed is not None:
                position = lease.committed
            elif self.auto_offset_reset == "earliest":
                position = lease.earliest
            else:
                position = lease.next_offset
            held[tp] = _Held(lease.epoch, position, lease.committed)
        if held.keys() != self._held.keys():
            log.debug("%r now holds %s", self, _names(sorted(held)))
        self._held = held
        self._generation = result.generation
        self._step_soon = result.waiting
        self._last_step = time.monotonic()

    async def _fetch(self, max_records: int) -> list[Record]:
        plan = [
            (self._topics[tp.topic], tp.partition, held.position) for tp, held in self._held.items()
        ]
        if plan:
            # Start at another partition each time so none starves the others.
            self._rotation = (self._rotation + 1) % len(plan)
            plan = plan[self._rotation :] + plan[: self._rotation]
        generation, records, positions = await self._log.db.read(
            partial(
                fetch,
                group=self.group_id,
                plan=plan,
                max_records=max_records,
                where=str(self._log.path),
            ),
            action=f"read records for consumer group {self.group_id!r}",
        )
        if generation != self._generation:
            self._step_soon = True
        for topic, partition, position in positions:
            held = self._held.get(TopicPartition(topic, partition))
            if held is not None:
                held.position = position
        return records


def _now_ms() -> int:
    return int(time.time() * 1000)


def _names(tps: Sequence[TopicPartition] | set[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in tps) or "nothing"
