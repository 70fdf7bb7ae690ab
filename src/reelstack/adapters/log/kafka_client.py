"""What the Kafka adapter's parts share: client settings, a call thread, error translation.

confluent-kafka's calls block (metadata, commits, polls, closes), so each
client runs its blocking calls on its own thread, one at a time and in the
order they were made, never on the event loop. librdkafka's log lines go to
this package's logger instead of stderr.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException

from reelstack import settings
from reelstack.config import Config, Secret
from reelstack.errors import (
    ConfigError,
    ConflictError,
    InvalidRequestError,
    NotAssignedError,
    NotFoundError,
    RecordTooLargeError,
    ReelstackError,
    UnavailableError,
)

log = logging.getLogger("reelstack.adapters.log.kafka")

T = TypeVar("T")

# What a record adds to its key and value inside a batch of one (Kafka's v2
# format: 61 bytes of batch header, at most 32 of record framing), rounded up.
RECORD_OVERHEAD = 128

_NOT_FOUND = {
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError._UNKNOWN_PARTITION,
}
_TOO_LARGE = {
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError.RECORD_LIST_TOO_LARGE,
}
_INVALID = {
    KafkaError.TOPIC_EXCEPTION,
    KafkaError.INVALID_PARTITIONS,
    KafkaError.INVALID_REPLICATION_FACTOR,
    KafkaError.INVALID_REPLICA_ASSIGNMENT,
    KafkaError.INVALID_CONFIG,
    KafkaError.INVALID_SESSION_TIMEOUT,
    KafkaError.INVALID_TIMESTAMP,
    KafkaError.INVALID_REQUEST,
    KafkaError.POLICY_VIOLATION,
    KafkaError.INVALID_GROUP_ID,
}
# The group moved on without this member: what it read since its last commit is not its own.
_NOT_ASSIGNED = {
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError.STALE_MEMBER_EPOCH,
    KafkaError.FENCED_MEMBER_EPOCH,
    KafkaError._ASSIGNMENT_LOST,
}


def kafka_error(exc: BaseException) -> KafkaError | None:
    """The KafkaError inside a confluent-kafka exception, if there is one."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def translate(error: KafkaError, doing: str) -> ReelstackError:
    """Map one Kafka error to reelstack's tree; the message says what was being done."""
    message = f"{doing}: {error.str()} ({error.name()})"
    code = error.code()
    if code in _NOT_FOUND:
        return NotFoundError(message)
    if code in _TOO_LARGE:
        return RecordTooLargeError(message)
    if code == KafkaError.TOPIC_ALREADY_EXISTS:
        return ConflictError(message)
    if code in _NOT_ASSIGNED:
        return NotAssignedError(message)
    if code in _INVALID:
        return InvalidRequestError(message)
    return UnavailableError(message)


def translated(exc: Exception, doing: str) -> ReelstackError:
    """Map an exception raised by confluent-kafka to reelstack's tree."""
    if isinstance(exc, ReelstackError):
        return exc
    error = kafka_error(exc)
    if error is not None:
        return translate(error, doing)
    return UnavailableError(f"{doing}: {exc}")


# Errors that pass once metadata catches up (a new topic's leaders, a moved leader).
_TRANSIENT = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError._TRANSPORT,
    KafkaError._TIMED_OUT,
}
RETRY_PAUSE_S = 0.02


def retrying(call: Callable[[], T], timeout_s: float) -> T:
    """Call ``call`` (blocking) until it stops failing with a transient error or time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return call()
        except KafkaException as exc:
            error = kafka_error(exc)
            transient = error is not None and (error.retriable() or error.code() in _TRANSIENT)
            if not transient or time.monotonic() > deadline:
                raise
        time.sleep(RETRY_PAUSE_S)


def servers_of(bootstrap: Sequence[str]) -> str:
    return ",".join(bootstrap)


@dataclass(frozen=True, slots=True)
class KafkaAuth:
    """SASL credentials over a plaintext listener (``SASL_PLAINTEXT``).

    ``mechanism`` is ``PLAIN``, ``SCRAM-SHA-256`` or ``SCRAM-SHA-512``; the
    password stays a :class:`~reelstack.config.Secret` until librdkafka needs it.
    """

    mechanism: str
    username: str
    password: Secret

    def client_config(self) -> dict[str, str]:
        """Return the librdkafka properties that authenticate a client."""
        return {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": self.mechanism,
            "sasl.username": self.username,
            "sasl.password": self.password.reveal(),
        }


def base_config(bootstrap: Sequence[str], auth: KafkaAuth | None, client_id: str) -> dict[str, Any]:
    """Settings every client of the adapter shares."""
    return {
        **(auth.client_config() if auth is not None else {}),
        "bootstrap.servers": servers_of(bootstrap),
        "client.id": client_id,
        "logger": log,
        # Give up on a broker that does not answer a connection attempt quickly.
        "socket.connection.setup.timeout.ms": 5000,
        "reconnect.backoff.max.ms": 1000,
        "topic.metadata.refresh.interval.ms": 30000,
    }


class CallThread:
    """One thread running a client's blocking calls in order, off the event loop."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._name = name

    async def run(self, doing: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the thread; translate a Kafka error, naming ``doing``."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, partial(fn, *args))
        except (KafkaException, BufferError, RuntimeError) as exc:
            raise translated(exc, doing) from exc

    def shutdown(self) -> None:
        """Let the queued calls finish, then end the thread (without waiting for it)."""
        self._pool.shutdown(wait=False)


def note_refusal(refusals: list[str], error: KafkaError) -> None:
    """Keep the reason of a refused SASL login (other errors surface through the calls)."""
    if error.code() == KafkaError._AUTHENTICATION:
        refusals.append(error.str())


def auth_from(config: Config) -> KafkaAuth | None:
    """Return the SASL credentials the log settings give (None when no mechanism is set).

    Raises ConfigError when a mechanism is set without a user name or password:
    an instance that would only fail at its first append must not start.
    """
    mechanism = config.get(settings.LOG_SASL_MECHANISM)
    if not mechanism:
        return None
    username = config.get(settings.LOG_SASL_USERNAME)
    password = config.get(settings.LOG_SASL_PASSWORD)
    required = (
        (settings.LOG_SASL_USERNAME, username),
        (settings.LOG_SASL_PASSWORD, password.reveal()),
    )
    for setting, value in required:
        if not value:
            raise ConfigError(
                setting.key,
                "",
                config.resolved(setting).source,
                f"required when log.sasl_mechanism is {mechanism}",
            )
    return KafkaAuth(mechanism=mechanism, username=username, password=password)
