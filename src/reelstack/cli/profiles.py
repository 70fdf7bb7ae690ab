"""Profiles: named settings files, so one command runs the cluster on other engines.

``reelstack up --profile scale`` reads ``<home>/reelstack.scale.toml`` instead
of ``<home>/reelstack.toml`` (every process of the cluster gets it through
``REELSTACK_CONFIG``). The file names the real engines' addresses, e.g.::

    [log]
    url = "kafka://10.0.0.5:9092,10.0.0.6:9092"
    [widecolumn]
    url = "cassandra://10.0.0.7:9042/reelstack"
    [sql]
    url = "postgresql+asyncpg://reelstack@10.0.0.8:5432/reelstack"
    [cache]
    url = "memcached://a=10.0.0.9:11211;b=10.0.0.10:11211"
    [blob]
    url = "s3://reelstack?endpoint=http://10.0.0.11:9000"

The ``scale`` profile must move every port off its embedded default: a
cluster that is half on SQLite files is refused, naming what is still
embedded. ``python -m tools.engines profile`` writes such a file for the
engines a developer started with ``make engines-up``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from reelstack import settings
from reelstack.config import Config
from reelstack.errors import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
EMBEDDED_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite", "memory", "file"})
PORT_URLS = (
    settings.LOG_URL,
    settings.WIDECOLUMN_URL,
    settings.SQL_URL,
    settings.CACHE_URL,
    settings.BLOB_URL,
)
# Profiles that promise real engines behind every port.
ENGINE_PROFILES = frozenset({"scale"})


def profile_file(home: Path, name: str) -> Path:
    """Return the settings file of profile ``name`` in ``home``."""
    if not NAME.match(name):
        raise ConfigError(
            "profile", name, "--profile", "expected a lower-case name such as 'scale'"
        )
    return home / f"reelstack.{name}.toml"


def check(config: Config, name: str, file: Path) -> None:
    """Refuse a profile whose file is missing, or an engine profile left half embedded."""
    if not file.is_file():
        raise ConfigError(
            "profile",
            name,
            "--profile",
            f"no settings file {file}; write the engines' URLs there (see `reelstack up --help`)",
        )
    if name not in ENGINE_PROFILES:
        return
    embedded = [
        setting.key
        for setting in PORT_URLS
        if urlsplit(config.get(setting)).scheme in EMBEDDED_SCHEMES
    ]
    if embedded:
        raise ConfigError(
            "profile",
            name,
            str(file),
            "still on the embedded store: " + ", ".join(embedded) + "; set their url in the file",
        )
