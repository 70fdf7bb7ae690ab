"""The services reelstack runs: the packages that hold them, and their specs.

Adding a service is writing its folder (with a ``spec.py``, see
:mod:`reelstack.chassis.spec`) and naming the package in :data:`PACKAGES`.
A deployment may add services of its own without editing this file: the
``REELSTACK_EXTRA_SERVICES`` variable (or ``services.extra`` in the settings
file) names more packages, comma-separated.

:func:`specs` loads every spec and refuses, naming the service and the
conflict, two services with the same name, route prefix or migration branch,
a port that does not exist, and a settings module that imports service code.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from reelstack.chassis.routing import Route
from reelstack.chassis.spec import PORTS, ServiceSpec
from reelstack.config import Config
from reelstack.errors import SpecError
from reelstack.settings.base import SERVICES_EXTRA

PACKAGES: tuple[str, ...] = (
    "reelstack.registry",
    "reelstack.gateway",
    "reelstack.hello",
    "reelstack.media",
    "reelstack.media.pipeline",
    "reelstack.identity",
    "reelstack.history",
    "reelstack.catalog",
    "reelstack.playback",
    "reelstack.events",
    "reelstack.recommendations",
    "reelstack.router",
    "reelstack.edge",
)

_loaded: dict[tuple[str, ...], dict[str, ServiceSpec]] = {}


def packages(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Return the service packages: the built-in ones, then ``extra`` (each once)."""
    out = list(PACKAGES)
    for name in extra:
        name = name.strip()
        if name and name not in out:
            out.append(name)
    return tuple(out)


def load_spec(package: str) -> ServiceSpec:
    """Import ``<package>.spec`` and return its ``SPEC`` with the package filled in."""
    try:
        module = importlib.import_module(f"{package}.spec")
    except ImportError as exc:
        raise SpecError(package, f"no spec module {package}.spec ({exc})") from exc
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, ServiceSpec):
        raise SpecError(package, f"{package}.spec defines no SPEC = ServiceSpec(...)")
    return replace(spec, package=package)


def specs(extra: Iterable[str] = ()) -> dict[str, ServiceSpec]:
    """Return every service's spec by name, checked (cached per package list)."""
    names = packages(extra)
    cached = _loaded.get(names)
    if cached is None:
        loaded = [load_spec(package) for package in names]
        check(loaded)
        cached = {spec.name: spec for spec in loaded}
        _loaded[names] = cached
    return cached


def of(config: Config) -> dict[str, ServiceSpec]:
    """Return every service's spec, the extra packages taken from ``config``."""
    extra: tuple[str, ...] = config.get(SERVICES_EXTRA)
    return specs(extra)


def check(loaded: Sequence[ServiceSpec]) -> None:
    """Raise SpecError naming the service and the conflict if the specs cannot run together."""
    names: dict[str, ServiceSpec] = {}
    prefixes: dict[str, str] = {}
    branches: dict[str, str] = {}
    for spec in loaded:
        if not spec.name or not spec.name.replace("-", "").isalnum():
            raise SpecError(spec.name, f"the name {spec.name!r} is not a service name")
        if spec.name in names:
            other = names[spec.name].package
            raise SpecError(
                spec.name, f"declared twice, by {other} and by {spec.package}: rename one"
            )
        names[spec.name] = spec
        for reference in (spec.app, *spec.background):
            if not _is_reference(reference):
                raise SpecError(spec.name, f"{reference!r} is not a 'module:function' reference")
        unknown = [port for port in spec.ports if port not in PORTS]
        if unknown:
            raise SpecError(
                spec.name,
                f"names port(s) that do not exist: {', '.join(unknown)} "
                f"(ports: {', '.join(PORTS)})",
            )
        try:
            routes = spec.gateway_routes()
        except ValueError as exc:
            raise SpecError(spec.name, f"invalid gateway route: {exc}") from None
        for route in routes:
            owner = prefixes.get(route.prefix)
            if owner is not None:
                raise SpecError(
                    spec.name, f"route prefix {route.prefix} is already routed to {owner!r}"
                )
            prefixes[route.prefix] = spec.name
        if spec.migrations is not None:
            owner = branches.get(spec.migrations)
            if owner is not None:
                raise SpecError(
                    spec.name,
                    f"migration branch {spec.migrations!r} already belongs to {owner!r}",
                )
            branches[spec.migrations] = spec.name
            if "sql" not in spec.ports:
                raise SpecError(spec.name, "has a migration branch but does not use the sql port")
    settings_modules = {spec.settings for spec in loaded if spec.settings}
    service_packages = sorted({spec.package for spec in loaded}, key=len, reverse=True)
    for spec in loaded:
        if spec.settings:
            _check_settings_module(spec, settings_modules, service_packages)


def imports(path: Path, package: str) -> list[tuple[str, tuple[str, ...], int]]:
    """Return what the module in ``path`` imports, read from its source (nothing is run).

    Each entry is (absolute module, names taken from it, line): ``import a.b``
    gives ``("a.b", (), n)``, ``from .x import y`` in package ``p`` gives
    ``("p.x", ("y",), n)``.
    """
    found: list[tuple[str, tuple[str, ...], int]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{anchor}.{module}" if module else anchor
            found.append((module, tuple(alias.name for alias in node.names), node.lineno))
    return found


def _is_reference(reference: str) -> bool:
    module, sep, attr = reference.partition(":")
    parts = [*module.split("."), *attr.split(".")]
    return bool(sep) and all(part.isidentifier() for part in parts)


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _check_settings_module(
    spec: ServiceSpec, settings_modules: set[str], service_packages: Sequence[str]
) -> None:
    """Refuse a settings module that imports service code (read from its source, not run)."""
    assert spec.settings is not None
    try:
        found = importlib.util.find_spec(spec.settings)
    except ImportError as exc:
        raise SpecError(spec.name, f"settings module {spec.settings} not found ({exc})") from None
    if found is None or found.origin is None:
        raise SpecError(spec.name, f"settings module {spec.settings} not found")
    package = spec.settings.rsplit(".", 1)[0]
    for module, names, line in imports(Path(found.origin), package):
        # ``from pkg import settings`` imports a module, not the package's code.
        imported = [
            f"{module}.{name}" if f"{module}.{name}" in settings_modules else module
            for name in names
        ] or [module]
        for name in imported:
            if name in settings_modules:
                continue
            owner = next((p for p in service_packages if _inside(name, p)), None)
            if owner is not None:
                raise SpecError(
                    spec.name,
                    f"settings module {spec.settings} imports service code ({name}, line "
                    f"{line}); a settings module may import only "
                    "reelstack.config, reelstack.settings and other settings modules",
                )


def routes(config: Config) -> tuple[Route, ...]:
    """Return the gateway routes every service's spec declares."""
    return tuple(route for spec in of(config).values() for route in spec.gateway_routes())
