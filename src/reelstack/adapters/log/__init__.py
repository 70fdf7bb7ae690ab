"""EventLog adapters (the role Kafka plays), and the rules every one enforces.

Kafka's rules are kept by every adapter, so code that works against the
embedded log works against a Kafka cluster: topic names are 1 to 249
characters of ``[a-zA-Z0-9._-]`` (not ``.`` or ``..``), a record (key plus
value) over the adapter's limit is refused with RecordTooLargeError and nothing
of its batch is written, and keys are placed by Kafka's default partitioner
(:mod:`reelstack.ports.partitioning`).
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Sequence

from reelstack.errors import InvalidRequestError
from reelstack.ports.log import TopicSpec

# Kafka's default message.max.bytes: 1 MiB plus the 12-byte batch overhead.
DEFAULT_MAX_RECORD_BYTES = 1048588
MAX_NAME_LENGTH = 249
# A session this short is only for tests; Kafka's brokers refuse below their
# group.min.session.timeout.ms.
MIN_SESSION_TIMEOUT_MS = 10
_LEGAL_NAME = re.compile(r"[a-zA-Z0-9._-]+")


def check_topic_name(name: object) -> str:
    """Return ``name`` if Kafka would accept it as a topic name; else InvalidRequestError."""
    if not isinstance(name, str):
        raise InvalidRequestError(f"topic name must be a str, got {type(name).__name__}")
    if not name:
        raise InvalidRequestError("topic name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequestError(
            f"topic name is {len(name)} characters; the limit is {MAX_NAME_LENGTH}"
        )
    if name in (".", ".."):
        raise InvalidRequestError(f"topic name cannot be {name!r}")
    if not _LEGAL_NAME.fullmatch(name):
        raise InvalidRequestError(
            f"topic name {name!r} has characters outside a-z, A-Z, 0-9, '.', '_' and '-'"
        )
    return name


def check_group_name(name: object) -> str:
    """Return ``name`` if it is a usable consumer group id; else InvalidRequestError."""
    if not isinstance(name, str) or not name:
        raise InvalidRequestError("consumer group id must be a non-empty str")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequestError(
            f"consumer group id is {len(name)} characters; the limit is {MAX_NAME_LENGTH}"
        )
    return name


def check_topic_spec(spec: TopicSpec) -> str:
    """Return the spec's topic name if every field is usable; else InvalidRequestError."""
    name = check_topic_name(spec.name)
    for label, value in (
        ("partitions", spec.partitions),
        ("replication_factor", spec.replication_factor),
    ):
        if not isinstance(value, int) or value < 1:
            raise InvalidRequestError(f"topic {name!r}: {label} must be >= 1, got {value!r}")
    if spec.retention_ms is not None and (
        not isinstance(spec.retention_ms, int) or spec.retention_ms < 1
    ):
        raise InvalidRequestError(
            f"topic {name!r}: retention_ms must be >= 1 or None, got {spec.retention_ms!r}"
        )
    return name


def check_consumer(
    topics: Sequence[str],
    *,
    member_id: str | None,
    session_timeout_ms: int,
    auto_offset_reset: str,
) -> tuple[list[str], str]:
    """Check a consumer's arguments; return its sorted topics and its member id."""
    if isinstance(topics, str) or not topics:
        raise InvalidRequestError("a consumer needs a non-empty list of topic names")
    if session_timeout_ms < MIN_SESSION_TIMEOUT_MS:
        raise InvalidRequestError(
            f"session_timeout_ms must be >= {MIN_SESSION_TIMEOUT_MS}, got {session_timeout_ms}"
        )
    if auto_offset_reset not in ("earliest", "latest"):
        raise InvalidRequestError(
            f"auto_offset_reset must be 'earliest' or 'latest', got {auto_offset_reset!r}"
        )
    if member_id is not None and (not isinstance(member_id, str) or not member_id):
        raise InvalidRequestError("member_id must be a non-empty str")
    member = member_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    return sorted({check_topic_name(topic) for topic in topics}), member
