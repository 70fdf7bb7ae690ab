"""KafkaConsumer: one member of a Kafka consumer group, behind the port's Consumer.

Kafka's classic group protocol with eager range assignment: at a rebalance
every member gives up all its partitions before any is handed out again, so
no partition ever has two holders, and a member that gets a partition back
resumes at the group's committed offset. The port's ``session_timeout_ms``
is Kafka's session timeout (a dead process) and its maximum poll interval
(a live member that stopped polling is out of the group as well). Brokers
refuse sessions shorter than their ``group.min.session.timeout.ms`` (6 s by
default): that is an InvalidRequestError at the next poll.

librdkafka only rebalances while someone polls it, so each member has a
fetch thread that polls all the time, buffers the records (pausing the
partitions when the buffer is full) and runs the rebalance callbacks: a
member busy elsewhere, or a process whose event loop is blocked, still
hands its partitions over at once when another member joins. ``poll`` takes
records from the buffer. Once the application has not polled for a whole session,
the member is out: the fetch thread drops its partitions at once and leaves
the group (it unsubscribes, and goes on polling so that the revocation is
served and the leave is sent); the next ``poll`` joins again, and the
partitions it then gets restart at the group's committed offsets.

Every librdkafka call of a member runs on its fetch thread, between two polls
(a call made from another thread while a poll waits would stall behind it):
``seek`` and ``commit`` are queued there and wait at most one poll's wait.
Offsets are committed only by ``commit``, synchronously, never in the middle
of a rebalance callback. Kafka's brokers check a commit's generation, not
which member owns the partitions, and rebalances reach the fetch thread while
the application processes what it polled: so a commit is checked here, on the
fetch thread (where rebalances are applied), against what the member holds and
what it lost since the application last polled (see ``MemberState``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from confluent_kafka import Consumer as KafkaClient
from confluent_kafka import KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as KafkaPartition

from reelstack.adapters.log import (
    check_consumer,
    check_group_name,
)
from reelstack.adapters.log.kafka_client import CallThread, kafka_error, translate
from reelstack.adapters.log.kafka_member import (
    FetchThreadCalls,
    MemberState,
    names,
    pin_latest,
    record_of,
)
from reelstack.errors import (
    InvalidRequestError,
    NotAssignedError,
    ReelstackError,
    UnavailableError,
)
from reelstack.ports.log import Record, TopicPartition

if TYPE_CHECKING:
    from reelstack.adapters.log.kafka import KafkaEventLog

log = logging.getLogger(__name__)

# The fetch thread's wait per librdkafka poll; a queued seek or commit waits at most this.
FETCH_WAIT_S = 0.02
FETCH_BATCH = 1000
# Records buffered before the fetch thread pauses its partitions.
MAX_BUFFERED = 5000
# How much longer than a session ``start`` waits for the group's first assignment.
JOIN_MARGIN_S = 2.0
_QUIET = {KafkaError._PARTITION_EOF, KafkaError._NO_OFFSET}
_FAILING = {
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.GROUP_AUTHORIZATION_FAILED,
}


class KafkaConsumer:
    """A consumer-group member reading topics of a :class:`KafkaEventLog`."""

    def __init__(
        self,
        owner: KafkaEventLog,
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
        self._client: KafkaClient | None = None
        self._thread: CallThread | None = None
        self._fetcher: threading.Thread | None = None
        self._stopping = threading.Event()
        self._joined = threading.Event()
        self._calls = FetchThreadCalls()
        self._state = MemberState()
        self._failure: ReelstackError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived: asyncio.Event | None = None
        self._last_poll = time.monotonic()
        # How many ``poll`` calls are waiting now (the application is not silent then).
        self._polling = 0

    @property
    def member_id(self) -> str:
        return self._member_id

    def __repr__(self) -> str:
        return f"KafkaConsumer(group={self.group_id!r}, member={self._member_id!r})"

    def _config(self) -> dict[str, Any]:
        session = self.session_timeout_ms
        return {
            **self._log.consumer_config(self.group_id, f"reelstack-{self._member_id}"),
            "auto.offset.reset": self.auto_offset_reset,
            "session.timeout.ms": session,
            "max.poll.interval.ms": session,
            # A member learns at its next heartbeat that another joined or left.
            "heartbeat.interval.ms": max(1, min(3000, session // 10)),
            "partition.assignment.strategy": "range",
            "enable.partition.eof": False,
        }

    # -- joining and leaving -----------------------------------------------------------

    async def start(self) -> None:
        """Join the group: return once it gave this member its partitions (maybe none).

        NotFoundError if a topic does not exist. If the group takes longer than
        a session to admit this member, ``start`` returns and it joins later.
        """
        if self._client is not None:
            return
        for name in self.topics:
            await self._log.topic(name)
        thread = CallThread(f"kafka-member-{self._member_id}")
        client = await thread.run(f"start {self!r}", KafkaClient, self._config())
        await thread.run(f"subscribe {self!r} to {', '.join(self.topics)}", self._subscribe, client)
        self._client, self._thread = client, thread
        self._loop, self._arrived = asyncio.get_running_loop(), asyncio.Event()
        self._stopping.clear()
        self._joined.clear()
        self._last_poll = time.monotonic() + self.session_timeout_ms / 1000 + JOIN_MARGIN_S
        self._fetcher = threading.Thread(
            target=self._fetch, args=(client,), name=f"kafka-fetch-{self._member_id}", daemon=True
        )
        self._fetcher.start()
        self._log.track(self)
        await asyncio.to_thread(self._joined.wait, self.session_timeout_ms / 1000 + JOIN_MARGIN_S)
        self._last_poll = time.monotonic()

    async def stop(self) -> None:
        """Leave the group: its partitions go to the other members at once."""
        client, thread, fetcher = self._client, self._thread, self._fetcher
        if client is None or thread is None:
            return
        self._client = self._thread = self._fetcher = None
        self._log.untrack(self)
        self._stopping.set()
        try:
            if fetcher is not None:
                await asyncio.to_thread(fetcher.join)
            # Calls queued while the fetch thread ended: made on the still open client.
            await thread.run(f"finish the calls of {self!r}", self._calls.run)
            await thread.run(f"leave consumer group {self.group_id!r}", client.close)
        finally:
            self._state.clear()
            thread.shutdown()

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this member holds now."""
        return self._state.held

    def _subscribe(self, client: KafkaClient) -> None:
        client.subscribe(
            list(self.topics),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )

    # -- the fetch thread --------------------------------------------------------------

    def _fetch(self, client: KafkaClient) -> None:
        """Poll librdkafka until stopped: records into the buffer, rebalances served."""
        session_s = self.session_timeout_ms / 1000
        paused = out = False
        while not self._stopping.is_set():
            # Before the queued commits: one made after a session of silence is refused.
            silent = not self._polling and time.monotonic() - self._last_poll > session_s
            if silent != out:
                try:
                    if silent:
                        self._leave(client)
                    else:
                        self._rejoin(client)
                except KafkaException as exc:
                    self._fail(UnavailableError(f"{self!r} failed to leave or rejoin: {exc}"))
                    return
                out = silent
            self._calls.run()
            try:
                full = self._state.buffered() >= MAX_BUFFERED
                if full != paused:
                    (client.pause if full else client.resume)(client.assignment())
                    paused = full
                messages = client.consume(FETCH_BATCH, FETCH_WAIT_S)
            except (KafkaException, RuntimeError) as exc:
                if self._stopping.is_set():
                    return
                self._fail(UnavailableError(f"{self!r} failed polling: {exc}"))
                return
            if messages:
                self._take_in(messages)

    def _leave(self, client: KafkaClient) -> None:
        """The application did not poll for a session: this member loses its partitions.

        They are dropped here at once, so nothing processed since the last commit
        can be committed any more; librdkafka sends the leave once the fetch
        thread's next polls serve the revocation.
        """
        log.info("%r did not poll for %d ms: leaving the group", self, self.session_timeout_ms)
        self._state.lose(self._state.held)
        client.unsubscribe()

    def _rejoin(self, client: KafkaClient) -> None:
        log.info("%r polls again: rejoining the group", self)
        self._subscribe(client)

    def _take_in(self, messages: list[Message]) -> None:
        records: list[Record] = []
        for message in messages:
            error = message.error()
            if error is None:
                records.append(record_of(message))
            elif error.code() not in _QUIET:
                self._on_error(error)
        if records and self._state.put(records):
            self._notify()

    def _on_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError.INVALID_SESSION_TIMEOUT:
            self._fail(
                InvalidRequestError(
                    f"{self!r}: the brokers refuse session_timeout_ms={self.session_timeout_ms} "
                    "(below their group.min.session.timeout.ms)"
                )
            )
        elif error.fatal() or error.code() in _FAILING:
            self._fail(translate(error, f"poll consumer group {self.group_id!r}"))
        else:
            # Transient (a broker down, a leader moving): librdkafka retries by itself.
            log.info("%r: %s", self, error.str())

    def _fail(self, failure: ReelstackError) -> None:
        self._failure = failure
        self._notify()

    def _notify(self) -> None:
        loop, arrived = self._loop, self._arrived
        if loop is not None and arrived is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(arrived.set)

    # -- rebalance callbacks (on the fetch thread, or in close) --------------------------

    def _on_assign(self, client: KafkaClient, partitions: list[KafkaPartition]) -> None:
        if self.auto_offset_reset == "latest":
            # Fix "latest" now, not when the first fetch resolves it: a record appended
            # once this member shows the partition as its own must be read.
            partitions = pin_latest(client, partitions, self._log.options.request_timeout_s)
            client.assign(partitions)
        self._state.gain(TopicPartition(p.topic, p.partition) for p in partitions)
        self._joined.set()
        log.debug("%r now holds %s", self, names(self._state.held))

    def _on_revoke(self, client: KafkaClient, partitions: list[KafkaPartition]) -> None:
        lost = {TopicPartition(p.topic, p.partition) for p in partitions}
        self._state.lose(lost)
        log.debug("%r gave up %s", self, names(lost))

    # -- the application's side ---------------------------------------------------------

    def _running(self) -> tuple[KafkaClient, CallThread]:
        if self._client is None or self._thread is None:
            raise InvalidRequestError(f"{self!r} is not started: call start() first")
        if self._failure is not None:
            raise self._failure
        return self._client, self._thread

    async def poll(self, *, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        """Heartbeat, rebalance if membership changed, and return the next records."""
        client, _ = self._running()
        if max_records < 1:
            raise InvalidRequestError(f"max_records must be >= 1, got {max_records}")
        arrived = self._arrived
        assert arrived is not None
        deadline = time.monotonic() + max(timeout_s, 0.0)
        # A member waiting in ``poll`` is live, however long the wait and its session.
        self._polling += 1
        try:
            while True:
                arrived.clear()
                records = self._state.take(max_records)
                if self._failure is not None:
                    raise self._failure
                remaining = deadline - time.monotonic()
                if records or remaining <= 0 or self._client is not client:
                    return records
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), min(remaining, 1.0))
        finally:
            self._polling -= 1
            self._last_poll = time.monotonic()

    async def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from ``offset`` at the next poll."""
        if not isinstance(offset, int) or offset < 0:
            raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
        if tp not in self._state.held:
            raise NotAssignedError(f"{self!r} does not hold {tp.topic}[{tp.partition}]")
        client, _ = self._running()

        def work() -> None:
            # Between two polls: no rebalance comes in between, and no record of the
            # old position is buffered after this.
            if tp not in self._state.held:
                raise NotAssignedError(f"{self!r} no longer holds {tp.topic}[{tp.partition}]")
            client.seek(KafkaPartition(tp.topic, tp.partition, offset))
            self._state.moved(tp, offset)

        await self._calls.call(f"seek {tp.topic}[{tp.partition}] to {offset}", work)

    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit next-offsets (default: the position after the last polled records).

        All or none: if the group no longer counts this member as the holder of
        its partitions, nothing is committed, NotAssignedError is raised and the
        partitions are dropped from ``assignment()`` until the group hands them
        out again (from the committed offset). The same holds for a partition
        revoked since the last ``poll``, even if the group gave it back since:
        it restarted at the committed offset, and what was polled of it before
        is not this member's to commit.
        """
        client, _ = self._running()
        todo: dict[TopicPartition, int] | None = None
        if offsets is not None:
            todo = dict(offsets)
            for offset in todo.values():
                if not isinstance(offset, int) or offset < 0:
                    raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
        await self._calls.call(
            f"commit offsets of group {self.group_id!r}", lambda: self._commit(client, todo)
        )

    def _commit(self, client: KafkaClient, asked: dict[TopicPartition, int] | None) -> None:
        todo, refused = self._state.to_commit(asked)
        if refused:
            raise NotAssignedError(
                f"{self!r} does not hold {names(refused)} (or lost it since the last poll): "
                "another member may be reading it; nothing was committed"
            )
        if not todo:
            return
        try:
            client.commit(
                offsets=[KafkaPartition(tp.topic, tp.partition, n) for tp, n in todo.items()],
                asynchronous=False,
            )
        except KafkaException as exc:
            error = kafka_error(exc)
            if error is None:
                raise UnavailableError(f"{self!r} could not commit: {exc}") from exc
            mapped = translate(error, f"{self!r} could not commit")
            if not isinstance(mapped, NotAssignedError):
                raise mapped from exc
            self._state.fenced(todo)
            raise NotAssignedError(
                f"{self!r} no longer holds {names(list(todo))} ({error.name()}): another "
                "member may be reading them; nothing was committed"
            ) from exc
        self._state.committed(todo)
