"""reelstack's own error tree.

Adapters translate vendor exceptions into these at their boundary, so services
and the CLI handle one set of errors whatever engine is behind a port.

    ReelstackError
    ├── ConfigError          an invalid setting: names the key, value and source
    ├── SpecError            services that cannot run together: names each and the conflict
    ├── PortInUseError       a listening port is taken: names the port and service
    ├── StoreCorruptError    an embedded store file is damaged: names the file
    ├── UnavailableError     an engine or service cannot be reached right now
    ├── NotFoundError        the object, topic, table or key does not exist
    ├── ConflictError        the write conflicts with existing state
    ├── InvalidRequestError  the caller sent something the port refuses
    │   └── RecordTooLargeError   a record or value over the engine's limit
    └── NotAssignedError     a consumer used a partition its group gave to another
"""

from __future__ import annotations


class ReelstackError(Exception):
    """Base of every error reelstack raises on purpose."""


class ConfigError(ReelstackError):
    """A setting has an invalid value."""

    def __init__(self, key: str, value: object, source: str, reason: str) -> None:
        self.key = key
        self.value = value
        self.source = source
        self.reason = reason
        super().__init__(f"invalid setting {key}={value!r} (from {source}): {reason}")


class SpecError(ReelstackError):
    """A service's spec is invalid or conflicts with another's; nothing is started."""

    def __init__(self, service: str, reason: str) -> None:
        self.service = service
        self.reason = reason
        super().__init__(f"service {service!r}: {reason}")


class PortInUseError(ReelstackError):
    """The port a service wants to listen on is taken."""

    def __init__(self, port: int, service: str, host: str = "127.0.0.1") -> None:
        self.port = port
        self.service = service
        self.host = host
        super().__init__(f"port {host}:{port} for service {service!r} is already in use")


class StoreCorruptError(ReelstackError):
    """An embedded store's file exists but cannot be read as that store."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"store file {path} is corrupt or not a reelstack store ({reason}); "
            "it was left untouched for inspection: move it aside to start empty"
        )


class UnavailableError(ReelstackError):
    """An engine or service cannot be reached right now; retrying may help."""


class NotFoundError(ReelstackError):
    """The named object does not exist."""


class ForbiddenError(ReelstackError):
    """The caller is known but may not do this (a kids profile managing the account)."""


class ConflictError(ReelstackError):
    """The write conflicts with existing state."""


class InvalidRequestError(ReelstackError):
    """The caller asked for something the port refuses."""


class RecordTooLargeError(InvalidRequestError):
    """A record or value is over the engine's size limit; nothing was written."""


class NotAssignedError(ReelstackError):
    """A consumer touched a partition that its group has assigned elsewhere."""
