"""Ports: one typed Protocol per infrastructure role, named after the role.

Services depend on these, never on adapters; settings pick the adapter by URL
(see :mod:`reelstack.bootstrap`). Every port has one contract test suite in
``tests/contract/`` that each adapter must pass.
"""

from reelstack.ports.blob import BlobInfo, BlobStore
from reelstack.ports.cache import Cache
from reelstack.ports.lifecycle import Lifecycle
from reelstack.ports.log import (
    Consumer,
    EventLog,
    Record,
    RecordMetadata,
    TopicPartition,
    TopicSpec,
)
from reelstack.ports.sql import Database
from reelstack.ports.widecolumn import Column, TableSpec, WideColumnStore

__all__ = [
    "BlobInfo",
    "BlobStore",
    "Cache",
    "Column",
    "Consumer",
    "Database",
    "EventLog",
    "Lifecycle",
    "Record",
    "RecordMetadata",
    "TableSpec",
    "TopicPartition",
    "TopicSpec",
    "WideColumnStore",
]
