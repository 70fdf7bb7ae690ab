"""EventLog adapters (the role Kafka plays), and the rules every one enforces.

Kafka's rules are kept by every adapter, so code that works against the
embedded log works against a Kafka cluster: topic names are 1 to 249
characters of ``[a-zA-Z0-9._-]`` (not ``.`` or ``..``), a record (key plus
value) over the adapter's limit is refused with RecordTooLargeError and nothing
of its batch is written, and keys are placed by Kafka's default partitioner
(:mod:`reelstack.adapters.log.partitioner`).
"""

from __future__ import annotations

import re

from reelstack.errors import InvalidRequestError

# Kafka's default message.max.bytes: 1 MiB plus the 12-byte batch overhead.
DEFAULT_MAX_RECORD_BYTES = 1048588
MAX_NAME_LENGTH = 249
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
