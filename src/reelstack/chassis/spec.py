"""What a service declares about itself: one :class:`ServiceSpec` in ``<package>/spec.py``.

A service is one folder. Its ``spec.py`` holds everything the rest of the
platform needs to know to run it, and nothing else has to be told:

- the supervisor starts ``instances`` of it (or ``cluster.instances``),
  each running ``app`` through :mod:`reelstack.chassis.run`;
- the settings loader imports its ``settings`` module, so ``reelstack config``
  and every instance know its settings (that module imports no service code);
- the chassis opens its ``ports``, migrates its own Alembic branch
  (``migrations``, revisions in ``<package>/migrations/``) and runs its
  ``background`` tasks while it serves;
- the gateway routes its ``routes`` to it (unless ``gateway.routes`` is set);
- ``reelstack deploy render`` writes its compose and Kubernetes entries.

The central list, :data:`reelstack.services.PACKAGES`, only names packages.
This module is imported by the supervisor and the CLI, so it stays light:
dataclasses, no web framework, no service code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reelstack.chassis.routing import Route, parse_route

PORTS = ("sql", "widecolumn", "log", "cache", "blob")
"""The adapter roles a service may ask for (see :mod:`reelstack.bootstrap`)."""


@dataclass(frozen=True)
class Volume:
    """A folder every instance of a service shares (a deployment mounts one volume there).

    ``setting`` is the key of the setting that names the folder; deployments
    set it to ``path`` and mount the volume ``name`` there. ``about`` says
    what the folder holds and why the instances share it; the deployment
    files print it beside the volume.
    """

    name: str
    setting: str
    path: str
    about: str = ""


@dataclass(frozen=True)
class Listener:
    """A second port of a service that viewers reach directly (an edge's serving path).

    The service port stays internal (management); deployments publish this
    one instead. ``public_port`` is the host port of the first instance,
    the next instances take the next ports: each instance is an address of
    its own, because playback names edges one by one. The three settings
    put the listener on the container's serving port on every address and
    tell the service the base URL viewers reach it at.
    """

    public_port: int
    port_setting: str
    host_setting: str
    url_setting: str


@dataclass(frozen=True)
class Deploy:
    """How deployments run the service beyond its settings.

    ``public_port``: the host port a deployment publishes for zone ``a``
    (the next zones take the next ports); None keeps the service internal.
    ``addressable``: other processes reach its instances by a fixed name
    (the registry: everyone else finds services through it).
    ``needs_engines``: it waits for the engines to start.
    ``stop_grace_s``: seconds an orchestrator gives a stopping instance before
    killing it (Kubernetes' ``terminationGracePeriodSeconds``); a service that
    finishes long work in hand before it stops needs more.
    ``calls``: the services its code sends requests to (through the resilient
    client); the network policies let it reach those and no others. The
    gateway's routes and the registry need no entry: they are derived.
    ``listener``: a port viewers reach directly, published instead of the
    service port (see :class:`Listener`).
    """

    public_port: int | None = None
    addressable: bool = False
    needs_engines: bool = True
    volumes: tuple[Volume, ...] = ()
    stop_grace_s: int = 30
    calls: tuple[str, ...] = ()
    listener: Listener | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its name and everything the platform runs it by.

    ``app`` and each ``background`` entry are ``"module:function"`` references,
    imported only by the process that runs the service. ``app(config)`` returns
    the ASGI app (built with :func:`reelstack.chassis.create_service_app`);
    a background function takes the running service's context and runs until
    cancelled. ``routes`` are gateway routes without the service, in the
    syntax of :mod:`reelstack.chassis.routing` (``"/api/media;keep;timeout=60"``).
    ``package`` is filled in by the loader: the package the spec came from.
    """

    name: str
    app: str
    ports: tuple[str, ...] = ()
    settings: str | None = None
    migrations: str | None = None
    routes: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    instances: int | None = None
    deploy: Deploy = field(default_factory=Deploy)
    package: str = ""

    def gateway_routes(self) -> tuple[Route, ...]:
        """Return the gateway routes this service declares, parsed."""
        return tuple(parse_route(text) for text in self.route_text())

    def route_text(self) -> tuple[str, ...]:
        """Return the routes in ``gateway.routes`` syntax (``PREFIX=SERVICE;options``)."""
        out: list[str] = []
        for entry in self.routes:
            prefix, _, options = entry.partition(";")
            out.append(f"{prefix}={self.name}" + (f";{options}" if options else ""))
        return tuple(out)
