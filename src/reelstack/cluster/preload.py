"""What a preloaded parent imports before it forks instances (and a spare before it waits).

Starting an instance is mostly imports, and most of them are the same in
every service: the runner, the chassis (FastAPI, pydantic, uvicorn, the
SQLAlchemy and aiohttp it uses), uvicorn's loop and protocol, and the
adapters the settings choose for the ports the services declare. Then each
service's own modules (its app and background tasks). All of them are
imported once by the parent, which may start an instance of any service; a
forked instance finds them in memory and shares their pages with its
siblings (ADR 9 has the figures that chose this list).

Only the processes that preload import this module (it imports the adapters'
registry, and with it SQLAlchemy): the supervisor stays light.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from reelstack import bootstrap, services, settings
from reelstack.chassis.spec import PORTS, ServiceSpec
from reelstack.config import Config
from reelstack.errors import ConfigError, SpecError

log = logging.getLogger(__name__)

# What every instance imports whatever its service: the runner and the chassis.
RUNTIME: tuple[str, ...] = (
    "reelstack.chassis.run",
    "reelstack.chassis.app",
)
# What uvicorn imports when an instance's server starts, with the options of
# reelstack.chassis.server (uvloop and httptools when installed), and what
# FastAPI imports when it builds the first route (it checks for pydantic v1
# models). Absent ones are skipped.
SERVER: tuple[str, ...] = (
    "uvloop",
    "httptools",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.lifespan.on",
    "pydantic.v1",
)


def adapter_module(role: str, config: Config) -> str | None:
    """Return the module of the adapter ``config`` chooses for ``role``; None if none fits."""
    setting = bootstrap.URL_SETTINGS.get(role)
    if setting is None:
        return None
    scheme = urlsplit(config.get(setting)).scheme
    target = bootstrap.FACTORIES[role].get(scheme)
    return target.partition(":")[0] if target else None


def modules(specs: Iterable[ServiceSpec], config: Config) -> tuple[str, ...]:
    """Return the modules to preload for instances of ``specs``, each once, in import order.

    The runtime and server modules; the adapter of every port some spec
    declares (as ``config`` chooses it; a port no spec uses costs nothing);
    then each spec's app and background modules.
    """
    specs = list(specs)
    roles = {port for spec in specs for port in spec.ports}
    out = [*RUNTIME, *SERVER]
    adapters = (adapter_module(role, config) for role in PORTS if role in roles)
    own = (ref.partition(":")[0] for spec in specs for ref in (spec.app, *spec.background))
    for module in (*adapters, *own):
        if module is not None and module not in out:
            out.append(module)
    return tuple(out)


def for_this_process() -> tuple[str, ...]:
    """Return the modules to preload for every service of this process' settings.

    With settings that cannot be read, only the runtime: each instance then
    reports the invalid setting itself.
    """
    try:
        config = settings.load()
        return modules(services.of(config).values(), config)
    except (ConfigError, SpecError) as exc:
        log.warning("preloading the runtime only: %s", exc)
        return (*RUNTIME, *SERVER)


def import_all(names: Sequence[str]) -> list[str]:
    """Import ``names``; return those that could not be imported (each logged).

    A module that fails here fails again in the instance that needs it,
    which reports it in its own log; the parent carries on without it.
    """
    failed: list[str] = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.info("not preloaded: %s (%s)", name, exc)
            failed.append(name)
        except Exception:
            log.exception("importing %s failed; not preloaded", name)
            failed.append(name)
    return failed
