"""The consumer-group protocol, as transactions on the shared log file.

Kafka runs this protocol in a broker (the group coordinator); here every
member runs it itself, in ``BEGIN IMMEDIATE`` transactions on the same file,
so the file's write lock plays the coordinator and every step sees and leaves
a consistent state. The tables:

- ``log_groups (group_id, generation)``: bumped whenever membership changes
  (a join, a leave, an expiry), so members notice with one cheap read.
- ``log_members (group_id, member_id, topics, session_timeout_ms,
  heartbeat_ms)``: the live members and their subscriptions; ``heartbeat_ms``
  is wall time, which every process on the host shares.
- ``log_assignments (group_id, topic, partition, member_id, epoch,
  committed)``: one lease per partition the group ever read. ``member_id`` is
  the owner (NULL: free); ``epoch`` grows at every claim; ``committed`` is the
  group's committed offset (the next one to read).

A member's *step* (at start, then on every poll when a heartbeat is due, the
generation moved, or it waits for a partition) does, in one transaction:

1. heartbeat: refresh its own row, or insert it (a join);
2. expire: delete members whose ``heartbeat_ms + session_timeout_ms`` passed,
   and free every lease held by someone who is not a live member;
3. assign: sort the live members by id and give each topic's partitions to
   its subscribers in contiguous ranges (Kafka's RangeAssignor), so every
   member computes the same target from the same rows;
4. reconcile its own leases only: free the ones the target gives to another
   member, claim (``epoch + 1``) the free ones the target gives to it. A
   partition still leased by another live member is left alone: that member
   frees it at its next step (a cooperative rebalance, as in KIP-429), so a
   partition is never read by two members at once.

Fencing: a commit updates ``committed`` only where ``member_id`` and
``epoch`` still match what the committer claimed. If any partition fails that
check the whole commit is rolled back and NotAssignedError raised: the member
lost the partition (it stopped heartbeating for too long, or left), another
member may already be reading it from the group's committed offset, and the
records it processed since its last commit must be treated as not done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

GROUP_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_groups (
    group_id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_members (
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    topics TEXT NOT NULL,
    session_timeout_ms INTEGER NOT NULL,
    heartbeat_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_assignments (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    member_id TEXT,
    epoch INTEGER NOT NULL,
    committed INTEGER,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
"""

TP = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Lease:
    """A partition a member holds after a step, with what it needs to start reading."""

    topic: str
    partition: int
    epoch: int
    committed: int | None
    earliest: int
    next_offset: int


@dataclass(frozen=True, slots=True)
class StepResult:
    generation: int
    leases: list[Lease]
    # Some partition the target gives this member is still leased by another.
    waiting: bool


class Fenced(Exception):
    """A commit named partitions this member no longer holds (rolled back)."""

    def __init__(self, lost: list[TP]) -> None:
        self.lost = lost
        super().__init__(", ".join(f"{topic}[{partition}]" for topic, partition in lost))


def assign_ranges(
    members: Sequence[tuple[str, frozenset[str]]], partitions: Mapping[str, int]
) -> dict[TP, str]:
    """Return the target owner of every partition: contiguous ranges per topic.

    ``members`` are ``(member_id, subscribed topics)``; ``partitions`` maps
    each topic to its partition count. Members are taken in id order, the
    first ones getting one more partition when the count does not divide.
    """
    target: dict[TP, str] = {}
    for topic, count in partitions.items():
        subscribers = sorted(member for member, topics in members if topic in topics)
        if not subscribers:
            continue
        each, extra = divmod(count, len(subscribers))
        start = 0
        for index, member in enumerate(subscribers):
            size = each + (1 if index < extra else 0)
            for partition in range(start, start + size):
                target[(topic, partition)] = member
            start += size
    return target


def generation(conn: sqlite3.Connection, group: str) -> int:
    """Return the group's membership generation (-1 if it never had a member)."""
    row = conn.execute("SELECT generation FROM log_groups WHERE group_id = ?", (group,)).fetchone()
    return -1 if row is None else int(row[0])


def _bump(conn: sqlite3.Connection, group: str) -> None:
    conn.execute(
        "INSERT INTO log_groups (group_id, generation) VALUES (?, 1) "
        "ON CONFLICT (group_id) DO UPDATE SET generation = generation + 1",
        (group,),
    )


def _expire(conn: sqlite3.Connection, group: str, now_ms: int) -> bool:
    """Drop dead members and free leases held by non-members; True if any member went."""
    gone = conn.execute(
        "DELETE FROM log_members WHERE group_id = ? AND heartbeat_ms + session_timeout_ms < ? "
        "RETURNING member_id",
        (group, now_ms),
    ).fetchall()
    conn.execute(
        "UPDATE log_assignments SET member_id = NULL WHERE group_id = ? "
        "AND member_id IS NOT NULL AND member_id NOT IN "
        "(SELECT member_id FROM log_members WHERE group_id = ?)",
        (group, group),
    )
    return bool(gone)


def _in_list(values: Iterable[str]) -> tuple[str, list[str]]:
    items = list(values)
    return ",".join("?" * len(items)), items


def step(
    conn: sqlite3.Connection,
    *,
    group: str,
    member: str,
    topics: Sequence[str],
    session_timeout_ms: int,
    now_ms: int,
) -> StepResult:
    """Heartbeat, expire, rebalance and reconcile ``member``'s leases (one transaction)."""
    joined = (
        conn.execute(
            "UPDATE log_members SET heartbeat_ms = ?, topics = ?, session_timeout_ms = ? "
            "WHERE group_id = ? AND member_id = ?",
            (now_ms, ",".join(topics), session_timeout_ms, group, member),
        ).rowcount
        == 0
    )
    if joined:
        conn.execute(
            "INSERT INTO log_members (group_id, member_id, topics, session_timeout_ms, "
            "heartbeat_ms) VALUES (?, ?, ?, ?, ?)",
            (group, member, ",".join(topics), session_timeout_ms, now_ms),
        )
    if _expire(conn, group, now_ms) or joined:
        _bump(conn, group)
    members = [
        (member_id, frozenset(subscribed.split(",")) & frozenset(topics))
        for member_id, subscribed in conn.execute(
            "SELECT member_id, topics FROM log_members WHERE group_id = ?", (group,)
        )
    ]
    marks, names = _in_list(topics)
    counts = {
        name: int(count)
        for name, count in conn.execute(
            f"SELECT name, partitions FROM log_topics WHERE name IN ({marks})", names
        )
    }
    target = assign_ranges(members, counts)
    current: dict[TP, tuple[str | None, int, int | None]] = {
        (topic, partition): (owner, epoch, committed)
        for topic, partition, owner, epoch, committed in conn.execute(
            "SELECT topic, partition, member_id, epoch, committed FROM log_assignments "
            "WHERE group_id = ?",
            (group,),
        )
    }
    held: list[tuple[TP, int, int | None]] = []
    waiting = False
    for tp, owner_wanted in target.items():
        owner, epoch, committed = current.get(tp, (None, 0, None))
        if owner == member or owner_wanted != member:
            continue
        if owner is not None:
            waiting = True
            continue
        epoch += 1
        conn.execute(
            "INSERT INTO log_assignments (group_id, topic, partition, member_id, epoch) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, topic, partition) "
            "DO UPDATE SET member_id = excluded.member_id, epoch = excluded.epoch",
            (group, tp[0], tp[1], member, epoch),
        )
        held.append((tp, epoch, committed))
    for tp, (owner, epoch, committed) in current.items():
        if owner != member:
            continue
        if target.get(tp) == member:
            held.append((tp, epoch, committed))
        else:
            conn.execute(
                "UPDATE log_assignments SET member_id = NULL "
                "WHERE group_id = ? AND topic = ? AND partition = ?",
                (group, tp[0], tp[1]),
            )
    bounds = {
        (name, int(partition)): (int(earliest), int(next_offset))
        for name, partition, earliest, next_offset in conn.execute(
            "SELECT t.name, p.partition, p.earliest, p.next_offset FROM log_partitions p "
            f"JOIN log_topics t ON t.topic_id = p.topic_id WHERE t.name IN ({marks})",
            names,
        )
    }
    leases = [
        Lease(tp[0], tp[1], epoch, committed, *bounds.get(tp, (0, 0)))
        for tp, epoch, committed in sorted(held)
    ]
    return StepResult(generation(conn, group), leases, waiting)


def commit(
    conn: sqlite3.Connection,
    *,
    group: str,
    member: str,
    offsets: Sequence[tuple[str, int, int, int]],
    now_ms: int,
) -> None:
    """Record ``(topic, partition, epoch, next_offset)`` commits, all or none.

    Raises :class:`Fenced` (the caller's write transaction rolls back) if
    ``member`` no longer holds any of them at that epoch.
    """
    lost: list[TP] = []
    for topic, partition, epoch, offset in offsets:
        updated = conn.execute(
            "UPDATE log_assignments SET committed = ? WHERE group_id = ? AND topic = ? "
            "AND partition = ? AND member_id = ? AND epoch = ?",
            (offset, group, topic, partition, member, epoch),
        ).rowcount
        if updated != 1:
            lost.append((topic, partition))
    if lost:
        raise Fenced(lost)
    # A commit shows the member is alive as much as a poll does.
    conn.execute(
        "UPDATE log_members SET heartbeat_ms = max(heartbeat_ms, ?) "
        "WHERE group_id = ? AND member_id = ?",
        (now_ms, group, member),
    )


def leave(conn: sqlite3.Connection, *, group: str, member: str) -> None:
    """Remove ``member`` and free its leases so the others take them at their next step."""
    gone = conn.execute(
        "DELETE FROM log_members WHERE group_id = ? AND member_id = ?", (group, member)
    ).rowcount
    conn.execute(
        "UPDATE log_assignments SET member_id = NULL WHERE group_id = ? AND member_id = ?",
        (group, member),
    )
    if gone:
        _bump(conn, group)
