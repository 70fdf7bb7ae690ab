"""The settings every process shares, and the one place that reads the environment.

A key ``a.b_c`` is set by the environment variable ``REELSTACK_A_B_C``, by
``[a] b_c = ...`` in the TOML file named by ``REELSTACK_CONFIG`` (default
``<home>/reelstack.toml``), or at runtime with ``reelstack config set`` when the
setting is marked runtime.

This package declares what is shared, one module per area (``ports``,
``instance``, ``client``, ``discovery``, ``cluster``) and gathers them so every
caller writes ``settings.LOG_URL``. Each service declares its own settings in
``<service>/settings.py`` (named by its spec); :func:`load` registers those of
every service before resolving anything, so every process knows every key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reelstack.config import Config, SettingsRegistry, read_toml
from reelstack.errors import ConfigError
from reelstack.settings.base import *  # noqa: F403
from reelstack.settings.base import CONFIG_ENV, HOME, REGISTRY, SERVICES_EXTRA
from reelstack.settings.client import *  # noqa: F403
from reelstack.settings.cluster import *  # noqa: F403
from reelstack.settings.delivery import *  # noqa: F403
from reelstack.settings.discovery import *  # noqa: F403
from reelstack.settings.instance import *  # noqa: F403
from reelstack.settings.ports import *  # noqa: F403
from reelstack.settings.tokens import *  # noqa: F403


def config_file(environ: Mapping[str, str]) -> Path:
    """Return the TOML file to read settings from."""
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    home = environ.get(HOME.env, HOME.default if isinstance(HOME.default, str) else ".reelstack")
    return Path(home).expanduser() / "reelstack.toml"


def extra_services(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the packages of services beyond the built-in ones (``services.extra``).

    Read before the other settings: which services exist decides which
    settings exist. The environment wins over the settings file.
    """
    env = os.environ if environ is None else environ
    raw = env.get(SERVICES_EXTRA.env)
    source = f"env:{SERVICES_EXTRA.env}"
    if raw is None:
        file = config_file(env)
        raw = read_toml(file).get(SERVICES_EXTRA.key, "") if file.exists() else ""
        source = f"file:{file}"
    try:
        return SERVICES_EXTRA.parse(raw)
    except ValueError as exc:
        raise ConfigError(SERVICES_EXTRA.key, raw, source, str(exc)) from None


def registry(environ: Mapping[str, str] | None = None) -> SettingsRegistry:
    """Return the registry with every service's settings declared in it."""
    from reelstack import services  # the specs import no settings; no cycle

    for spec in services.specs(extra_services(environ)).values():
        if spec.settings:
            __import__(spec.settings)
    return REGISTRY


def load(args: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load settings from the file, the environment and explicit arguments."""
    env = os.environ if environ is None else environ
    file = config_file(env)
    everything = registry(env)
    env = {k: v for k, v in env.items() if k != CONFIG_ENV}
    return Config.load(everything, environ=env, file=file, args=args)
