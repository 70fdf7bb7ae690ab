"""The one factory that turns a reelstack service into an ASGI app.

A service's ``create_app(config)`` calls :func:`create_service_app` with its
spec, its routers, how to build its context and its background tasks; the
chassis adds what every instance has: ``/health``, ``/ready``, ``/metrics``,
request ids, JSON access logs, runtime properties polled from the host's
property store, registration and discovery, a resilient client for calling
other services, and the lifespan that opens and closes all of it.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeAlias, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.types import ASGIApp

from reelstack import settings
from reelstack.bootstrap import Adapters, bootstrap
from reelstack.chassis import health
from reelstack.chassis.adapter_lifecycle import AdapterLifecycle, OnOpen
from reelstack.chassis.background import Background, BackgroundTasks, resolve
from reelstack.chassis.eureka import EurekaClient
from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.logs import AccessLog, set_level
from reelstack.chassis.metrics import Metrics
from reelstack.chassis.middleware import RequestMiddleware
from reelstack.chassis.properties import PropertyPoller, PropertyStore
from reelstack.chassis.responses import json_response
from reelstack.chassis.spec import ServiceSpec
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    RecordTooLargeError,
    ReelstackError,
    UnavailableError,
)
from reelstack.ports import Database

log = logging.getLogger(__name__)

C = TypeVar("C")

Hook = Callable[[Chassis], Awaitable[None]]
ContextFactory: TypeAlias = Callable[[Chassis], Awaitable[C]]
"""Builds a service's context at start-up: ``async def build(chassis) -> Ctx``."""

# How each of reelstack's errors reaches an HTTP client, most specific first.
ERROR_STATUS: tuple[tuple[type[ReelstackError], int], ...] = (
    (RecordTooLargeError, 413),
    (InvalidRequestError, 400),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnavailableError, 503),
)


async def _reelstack_error(request: Request, exc: Exception) -> Response:
    for kind, status in ERROR_STATUS:
        if isinstance(exc, kind):
            return json_response({"error": type(exc).__name__, "detail": str(exc)}, status)
    log.error("unhandled %s: %s", type(exc).__name__, exc)
    return json_response({"error": type(exc).__name__, "detail": str(exc)}, 500)


class ServiceApp(FastAPI):
    """FastAPI with the chassis' request middleware outside everything else.

    Outside even Starlette's ServerErrorMiddleware, so the 500 it renders for
    an unhandled error is counted, logged with the request id, and carries
    the ``X-Request-Id`` header like every other response.
    """

    def build_middleware_stack(self) -> ASGIApp:
        chassis: Chassis = self.state.chassis
        return RequestMiddleware(
            super().build_middleware_stack(),
            metrics=chassis.metrics,
            access_log=chassis.access_log,
        )


def create_service_app(
    config: Config,
    *,
    spec: ServiceSpec | None = None,
    routers: Sequence[APIRouter] = (),
    ports: Sequence[str] | None = None,
    context: ContextFactory[C] | None = None,
    background: Sequence[Background[C]] | None = None,
    on_open: Mapping[str, OnOpen] | None = None,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    service: str | None = None,
    poll_properties: bool = True,
    access_log: AccessLog | None = None,
    adapters: Adapters | None = None,
    **fastapi_options: Any,
) -> FastAPI:
    """Return the FastAPI app of a service with everything the chassis provides.

    ``spec`` is the service's :class:`ServiceSpec`: its name, ``ports`` and
    ``background`` tasks come from it; ``service``, ``ports`` and
    ``background``, when given, replace the spec's (without a spec they are
    the whole declaration; tests use them).

    ``ports`` names the adapter roles the service needs (``"sql"``, ``"cache"``,
    ...): they are opened at start-up (retried in the background if their
    engine is unreachable), checked by ``/ready`` and closed at shutdown.
    ``on_open[role]`` runs once that role's adapter opens; a spec with a
    migration branch gets ``on_open["sql"]`` migrating that branch, and only
    it (:meth:`reelstack.ports.Database.migrate`).

    ``context(chassis)`` builds the service's typed context once the adapters
    are opened (an adapter still unreachable answers UnavailableError when
    used); it is kept on the chassis, routes receive it with
    ``Annotated[Ctx, Depends(context_dep(Ctx))]`` (see
    :mod:`reelstack.chassis.route_deps`) and start-up and shutdown hooks with
    ``chassis.context_as(Ctx)``. Without it the context is the chassis itself.

    ``background`` tasks (``async def task(context)``) start after the context
    and the start-up hooks and run while the instance serves; at shutdown
    they are cancelled and awaited before the shutdown hooks run and the
    adapters close. A background task that raises is logged with its name
    and traceback and fails the instance (:meth:`Chassis.fail`): the runner
    exits 4 and the supervisor starts the instance again. See
    :mod:`reelstack.chassis.background`.

    Start-up runs: adapters, context, ``on_startup`` hooks, background tasks,
    runtime properties, registration; shutdown the reverse, then the
    resilient client (:meth:`Chassis.client`) and the adapters close.
    ``adapters`` replaces the ones built from settings (tests pass fakes);
    ``access_log`` replaces the one writing to stderr.
    """
    if service is None and spec is not None:
        service = spec.name
    if ports is None:
        ports = spec.ports if spec is not None else ()
    tasks: Sequence[Background[Any]]
    if background is not None:
        tasks = background
    else:
        tasks = [resolve(ref) for ref in spec.background] if spec is not None else ()
    on_open = dict(on_open or {})
    if spec is not None and spec.migrations is not None and "sql" in ports:
        # The service's own Alembic branch, and no other, once its store opens.
        on_open.setdefault("sql", migrate_branch(spec.migrations))
    identity = InstanceIdentity.from_config(config, service=service)
    adapters = adapters if adapters is not None else bootstrap(config)
    dependencies = AdapterLifecycle(adapters, ports, on_open=on_open)
    metrics = Metrics(identity)
    access = access_log or AccessLog()
    access.enabled = config.get(settings.ACCESS_LOG)
    poller = (
        PropertyPoller(
            PropertyStore.for_config(config),
            config,
            identity.service,
            config.get(settings.PROPERTIES_POLL_S),
        )
        if poll_properties
        else None
    )
    # With a registry configured, the instance registers itself (UP once it
    # has started and its dependencies are open) and discovers others.
    eureka = (
        EurekaClient(
            config,
            identity,
            status=lambda: "UP" if all(dependencies.is_open(r) for r in ports) else "STARTING",
        )
        if config.get(settings.EUREKA_URLS)
        else None
    )
    chassis = Chassis(
        config=config,
        identity=identity,
        adapters=adapters,
        dependencies=dependencies,
        metrics=metrics,
        access_log=access,
        poller=poller,
        discovery=eureka,
    )
    dependencies.on_fatal = chassis.fail
    running = BackgroundTasks(tasks, on_fatal=chassis.fail)

    def on_change(key: str, value: Any) -> None:
        if key == settings.LOG_LEVEL.key:
            set_level(value)
        elif key == settings.ACCESS_LOG.key:
            access.enabled = bool(value)

    config.on_change(on_change)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if poller is not None:
            # Apply the current properties before serving, so the first
            # request already sees them; a store we cannot read is not fatal.
            try:
                await poller.poll_once()
            except ReelstackError as exc:
                log.warning("cannot read runtime properties at start: %s", exc)
        try:
            await dependencies.start()
        except Exception as exc:
            # Remembered so the runner can exit with the code this error calls for.
            chassis.fatal = exc
            await dependencies.stop()
            raise
        try:
            if context is not None:
                chassis.context = await context(chassis)
            for hook in on_startup:
                await hook(chassis)
            # Without a context of its own, a service's tasks get the chassis.
            running.start(chassis if chassis.context is None else chassis.context)
            if poller is not None:
                poller.start()
            if eureka is not None:
                await eureka.start()
                eureka.mark_started()
            # What the service built to start (its app, routes, schemas,
            # models, context) lives as long as the process: out of the cycle
            # collector's sight, so a full collection scans only what requests
            # made (the fork server froze what every instance imports).
            gc.collect()
            gc.freeze()
            log.info(
                "%s started",
                identity.instance,
                extra={"zone": identity.zone, "version": identity.version, "ports": list(ports)},
            )
            yield
        finally:
            if eureka is not None:
                await eureka.stop()
            if poller is not None:
                await poller.stop()
            await running.stop()
            for hook in reversed(on_shutdown):
                try:
                    await hook(chassis)
                except Exception:
                    log.exception("shutdown hook failed")
            if chassis.resilient is not None:
                try:
                    await chassis.resilient.close()
                except Exception:
                    log.exception("closing the resilient client failed")
            await dependencies.stop()
            log.info("%s stopped", identity.instance)

    fastapi_options.setdefault("title", identity.service)
    fastapi_options.setdefault("version", identity.version)
    app = ServiceApp(lifespan=lifespan, **fastapi_options)
    app.state.chassis = chassis
    app.add_exception_handler(ReelstackError, _reelstack_error)
    # The chassis' endpoints come first so no service route can shadow them.
    add_routes(app, health.router)
    for router in routers:
        add_routes(app, router)
    return app


def migrate_branch(branch: str) -> OnOpen:
    """Return an ``on_open`` hook that brings ``branch`` of the relational store to its head."""

    async def migrate(db: Database) -> None:
        await db.migrate(branch)

    return migrate


_DEFAULT_LIFESPAN = type(APIRouter().lifespan_context)


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes to ``app``, flat when that is equivalent to including it.

    FastAPI keeps an included router as a nested branch that is walked on
    every request, which costs a small endpoint about a fifth of its time.
    A router holding only plain routes already carries its prefix, tags and
    dependencies on each route (they are applied when a route is added), so
    appending the routes themselves behaves the same; anything else (nested
    routers, router lifespans) is included the normal way.
    """
    plain = all(isinstance(route, APIRoute) for route in router.routes)
    default_lifespan = isinstance(router.lifespan_context, _DEFAULT_LIFESPAN)
    if plain and default_lifespan and not router.on_startup and not router.on_shutdown:
        app.router.routes.extend(router.routes)
    else:
        app.include_router(router)


def chassis_of(app: FastAPI) -> Chassis:
    """Return the chassis state of an app built by :func:`create_service_app`."""
    chassis: Chassis = app.state.chassis
    return chassis
