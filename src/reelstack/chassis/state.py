"""What the chassis keeps for one app, reachable from every request."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from reelstack.bootstrap import Adapters
from reelstack.chassis.adapter_lifecycle import AdapterLifecycle
from reelstack.chassis.discovery import Discovery
from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.logs import AccessLog
from reelstack.chassis.metrics import Metrics
from reelstack.chassis.properties import PropertyPoller
from reelstack.config import Config
from reelstack.errors import UnavailableError

if TYPE_CHECKING:
    # Imported when first used: the supervisor imports this module (through
    # the runner) and must not pay for aiohttp and the client's layers.
    from reelstack.chassis.resilience.client import ResilientClient

log = logging.getLogger(__name__)

C = TypeVar("C")

ReadyCheck = Callable[[], Awaitable[str | None]]
"""A readiness check of a service's own: None when ready, else why not (shown by ``/ready``)."""


@dataclass
class Chassis:
    """One app's configuration, identity, adapters, metrics and background tasks."""

    config: Config
    identity: InstanceIdentity
    adapters: Adapters
    dependencies: AdapterLifecycle
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
    # The service's own context (``create_service_app(context=...)``), built
    # at start-up; the chassis itself when the service declares none.
    context: object = None
    # The resilient client for calls to other services, made on first use
    # (:meth:`client`) or handed in by a service that builds its own.
    resilient: ResilientClient | None = None
    # Readiness beyond the adapters (a child process the service runs),
    # by name; ``/ready`` reports each beside the adapter roles.
    checks: dict[str, ReadyCheck] = field(default_factory=dict)

    def context_as(self, kind: type[C]) -> C:
        """Return the service's context, checked to be a ``kind``.

        Raises RuntimeError when it is not: the service asked for a context
        it does not build (a programming error, never a request's fault).
        """
        context = self if self.context is None else self.context
        if not isinstance(context, kind):
            raise RuntimeError(
                f"{self.identity.service} has no context of type {kind.__qualname__}"
                f" (its context is a {type(context).__qualname__}"
                f"{'' if self.context is not None else ', or not built yet'})"
            )
        return context

    def client(self) -> ResilientClient:
        """Return the instance's resilient client, made on first use over its discovery.

        The client finds services through the registry client's local copy
        (``eureka.urls``); its settings are the ``client.*`` runtime
        properties and its metrics go to this instance's ``/metrics``. The
        chassis closes it at shutdown. Raises UnavailableError when the
        instance has no discovery, so a route calling out answers 503.
        """
        if self.resilient is None:
            if self.discovery is None:
                raise UnavailableError(
                    f"{self.identity.service} cannot call other services: "
                    "no discovery (set eureka.urls)"
                )
            from reelstack.chassis.resilience.client import ResilientClient

            self.resilient = ResilientClient.for_chassis(self, self.discovery)
        return self.resilient

    def fail(self, exc: BaseException) -> None:
        """Record a fatal error and stop the server so the process exits non-zero."""
        self.fatal = exc
        log.error("fatal error, stopping: %s", exc)
        if self.stop_server is not None:
            self.stop_server()
