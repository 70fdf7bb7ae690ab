"""Run one instance of a service: ``python -m reelstack.chassis.run``.

Settings come from the environment (``REELSTACK_SERVICE_NAME``,
``REELSTACK_SERVICE_PORT``, ``REELSTACK_SERVICE_ZONE``, ...; see
:mod:`reelstack.settings`). The runner binds ``host:port`` itself, builds the
named service's app from its spec (:mod:`reelstack.services`) and serves it
with uvicorn, with the app's own ``server_options``, until SIGTERM or SIGINT.
Every process kind runs through it: HTTP services, the gateway (its own
protocol class comes in ``server_options``) and workers (a chassis app whose
work is a background task, see :mod:`reelstack.chassis.background`).

Exit codes, which the supervisor relies on:

- 0: stopped by a signal after draining in-flight requests
- 2: an invalid setting (the log line names key, value and source)
- 3: the port is taken (the log line names port and service)
- 4: start-up failed, or a fatal error (a corrupt store, a background task
  that raised) stopped the instance
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from reelstack import services, settings
from reelstack.chassis import logs, server
from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from reelstack.errors import ConfigError, PortInUseError, SpecError

log = logging.getLogger("reelstack.chassis.run")

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_PORT_IN_USE = 3
EXIT_FAILED = 4


def load_factory(config: Config) -> Callable[[Config], Any]:
    """Return the app factory of the service named by ``service.name``."""
    resolved = config.resolved(settings.SERVICE_NAME)
    known = services.of(config)
    spec = known.get(resolved.value)
    if spec is None:
        raise ConfigError(
            resolved.key,
            resolved.raw,
            resolved.source,
            f"unknown service; known: {', '.join(sorted(known))}",
        )
    module_name, _, attr = spec.app.partition(":")
    factory: Callable[[Config], Any] = getattr(importlib.import_module(module_name), attr)
    return factory


def _config_error(exc: ConfigError) -> int:
    log.error(
        str(exc),
        extra={"error": "ConfigError", "key": exc.key, "value": exc.value, "source": exc.source},
    )
    return EXIT_CONFIG


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the stop signal after its graceful shutdown; by then
    # everything is closed, so we return normally and exit 0 instead of
    # dying by the signal.
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the instance; return the process exit code."""
    logs.configure(service="", instance="")
    try:
        config = settings.load()
        logs.set_level(config.get(settings.LOG_LEVEL))
        service = config.get(settings.SERVICE_NAME)
        factory = load_factory(config)
    except ConfigError as exc:
        return _config_error(exc)
    except SpecError as exc:
        log.error(str(exc), extra={"error": "SpecError", "service": exc.service})
        return EXIT_CONFIG

    host = config.get(settings.SERVICE_HOST)
    port = config.get(settings.SERVICE_PORT)
    logs.CONTEXT.service = service
    try:
        sock = server.bind(host, port, service)
    except PortInUseError as exc:
        log.error(
            str(exc),
            extra={"error": "PortInUseError", "port": exc.port, "host": exc.host},
        )
        return EXIT_PORT_IN_USE
    except OSError as exc:
        log.error(
            "cannot listen on %s:%s: %s", host, port, exc, extra={"error": type(exc).__name__}
        )
        return EXIT_FAILED

    with sock:
        if port == 0:
            # The OS chose the port: make it the setting, so the instance id,
            # health and registration all report the real one.
            try:
                config = settings.load(args={"service.port": str(sock.getsockname()[1])})
            except ConfigError as exc:
                return _config_error(exc)
        identity = InstanceIdentity.from_config(config)
        logs.CONTEXT.instance = identity.instance
        log.info(
            "listening on %s:%d",
            identity.host,
            identity.port,
            extra={"host": identity.host, "port": identity.port, "pid": identity.pid},
        )
        try:
            app = factory(config)
        except ConfigError as exc:
            return _config_error(exc)
        chassis: Chassis | None = getattr(getattr(app, "state", None), "chassis", None)
        # The app's own uvicorn options (``server_options``: the gateway's
        # HTTP protocol class) are applied by make_server.
        uvicorn_server = server.make_server(app, grace_s=config.get(settings.SHUTDOWN_GRACE_S))
        if chassis is not None:

            def stop() -> None:
                uvicorn_server.should_exit = True

            chassis.stop_server = stop
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _ignore_signal)
        try:
            uvicorn_server.run(sockets=[sock])
        except SystemExit as exc:
            # uvicorn exits 3 when the app's start-up fails; that is not a
            # port in use (the socket is already ours), so report it by
            # what went wrong instead.
            log.error("%s stopped during start-up (uvicorn exit %s)", identity.instance, exc.code)
            if chassis is not None and isinstance(chassis.fatal, ConfigError):
                return _config_error(chassis.fatal)
            return EXIT_FAILED

    if chassis is not None and chassis.fatal is not None:
        if isinstance(chassis.fatal, ConfigError):
            return _config_error(chassis.fatal)
        return EXIT_FAILED
    if not uvicorn_server.started:
        log.error("%s did not start", identity.instance)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
