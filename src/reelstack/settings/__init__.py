"""Every reelstack setting, and the one place that reads the environment.

A key ``a.b_c`` is set by the environment variable ``REELSTACK_A_B_C``, by
``[a] b_c = ...`` in the TOML file named by ``REELSTACK_CONFIG`` (default
``<home>/reelstack.toml``), or at runtime with ``reelstack config set`` when the
setting is marked runtime.

The settings are declared by area, one module each (``ports``, ``instance``,
``client``, ``registry``, ``cluster``, ``gateway``, ``media``...); this package
gathers them so every caller writes ``settings.LOG_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reelstack.config import Config
from reelstack.settings.base import *  # noqa: F403
from reelstack.settings.base import CONFIG_ENV, HOME, REGISTRY
from reelstack.settings.client import *  # noqa: F403
from reelstack.settings.cluster import *  # noqa: F403
from reelstack.settings.gateway import *  # noqa: F403
from reelstack.settings.hello import *  # noqa: F403
from reelstack.settings.instance import *  # noqa: F403
from reelstack.settings.media import *  # noqa: F403
from reelstack.settings.media_encode import *  # noqa: F403
from reelstack.settings.media_service import *  # noqa: F403
from reelstack.settings.ports import *  # noqa: F403
from reelstack.settings.registry import *  # noqa: F403


def config_file(environ: Mapping[str, str]) -> Path:
    """Return the TOML file to read settings from."""
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    home = environ.get(HOME.env, HOME.default if isinstance(HOME.default, str) else ".reelstack")
    return Path(home).expanduser() / "reelstack.toml"


def load(args: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load settings from the file, the environment and explicit arguments."""
    env = os.environ if environ is None else environ
    file = config_file(env)
    env = {k: v for k, v in env.items() if k != CONFIG_ENV}
    return Config.load(REGISTRY, environ=env, file=file, args=args)
