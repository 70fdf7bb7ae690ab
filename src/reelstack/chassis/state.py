"""What the chassis keeps for one app, reachable from every request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from reelstack.bootstrap import Adapters
from reelstack.chassis.dependencies import Dependencies
from reelstack.chassis.discovery import Discovery
from reelstack.chassis.identity import Identity
from reelstack.chassis.logs import AccessLog
from reelstack.chassis.metrics import Metrics
from reelstack.chassis.properties import PropertyPoller
from reelstack.config import Config

log = logging.getLogger(__name__)


@dataclass
class Chassis:
    """One app's configuration, identity, adapters, metrics and background tasks."""

    config: Config
    identity: Identity
    adapters: Adapters
    dependencies: Dependencies
    metrics: Metrics
    access_log: AccessLog
    poller: PropertyPoller | None
    # Where other services' instances are: the registry client's local copy
    # when eureka.urls is set (see reelstack.chassis.eureka), else None.
    discovery: Discovery | None = None
    # Set by the process runner: how to stop the server when a fatal error
    # happens after start-up (a store found corrupt by a background retry).
    stop_server: Callable[[], None] | None = None
    fatal: BaseException | None = field(default=None)

    def fail(self, exc: BaseException) -> None:
        """Record a fatal error and stop the server so the process exits non-zero."""
        self.fatal = exc
        log.error("fatal error, stopping: %s", exc)
        if self.stop_server is not None:
            self.stop_server()
