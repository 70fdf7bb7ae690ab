"""The registry every setting is declared in, and the home folder they hang from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reelstack.config import (
    Config,
    Setting,
    SettingsRegistry,
)

REGISTRY = SettingsRegistry()
add = REGISTRY.add

CONFIG_ENV = "REELSTACK_CONFIG"


def _parse_home(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return str(Path(raw).expanduser().resolve())


def under_home(template: str) -> Callable[[Config], str]:
    """Return a default that places ``template`` (with ``{home}``) under the home folder."""

    def default(config: Config) -> str:
        return template.format(home=config.get(HOME))

    return default


HOME = add(
    Setting(
        "home",
        _parse_home,
        ".reelstack",
        "Folder for the local cluster's state, embedded stores and logs.",
    )
)


def _parse_packages(raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    for name in names:
        if not all(piece.isidentifier() for piece in name.split(".")):
            raise ValueError(f"{name!r} is not a Python package name")
    return names


SERVICES_EXTRA = add(
    Setting(
        "services.extra",
        _parse_packages,
        "",
        "Packages of services to run beyond the built-in ones, comma-separated; each holds"
        " a spec.py (see reelstack.chassis.spec) and must be importable by every process.",
    )
)
