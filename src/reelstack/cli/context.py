"""What every command shares: the ``--home`` option, settings, consoles, JSON output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from reelstack import settings
from reelstack.cluster.client import ControlClient
from reelstack.config import Config
from reelstack.errors import UnavailableError

# soft_wrap: a message stays one line however narrow the terminal (or a pipe) is.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class Cli:
    """The state of one ``reelstack`` run, kept on the Typer context."""

    home_option: Path | None = None
    profile: str | None = None
    #: Settings this command's cluster gets unless the environment names them
    #: (``demo`` turns on what only a demo wants).
    defaults: dict[str, str] = field(default_factory=dict)
    _config: Config | None = field(default=None, repr=False)

    def use_defaults(self, values: dict[str, str]) -> None:
        """Give the cluster these environment settings where the environment has none."""
        self.defaults.update(values)
        self._config = None

    def use_profile(self, name: str | None) -> None:
        """Read settings from the profile's file from now on (``up --profile NAME``)."""
        if name is None:
            return
        from reelstack.cli import profiles

        file = profiles.profile_file(self.home, name)
        self.profile = name
        self._config = None
        profiles.check(self.config, name, file)

    def environ(self) -> dict[str, str]:
        """Return the environment settings are read from (and children get).

        ``--home`` acts as ``REELSTACK_HOME`` would, so the home's
        ``reelstack.toml`` is read and every process of the cluster gets the
        same home; it is also passed as an argument so ``config get`` says
        where it came from.
        """
        # The CLI is a process entry point: it turns its options into the
        # environment of the processes it starts.
        env = {**self.defaults, **os.environ}
        if self.home_option is not None:
            env[settings.HOME.env] = str(self.home_option.expanduser().resolve())
        if self.profile is not None:
            home = Path(settings.load(environ=env).get(settings.HOME))
            env[settings.CONFIG_ENV] = str(home / f"reelstack.{self.profile}.toml")
        return env

    @property
    def config(self) -> Config:
        """Return the settings this run sees (defaults, file, environment, ``--home``)."""
        if self._config is None:
            args = {"home": str(self.home_option)} if self.home_option is not None else None
            self._config = settings.load(args=args, environ=self.environ())
        return self._config

    @property
    def home(self) -> Path:
        """Return the cluster's home folder (absolute)."""
        return Path(self.config.get(settings.HOME))

    def child_env(self) -> dict[str, str]:
        """Return the environment for the supervisor: the resolved home made explicit."""
        env = self.environ()
        env[settings.HOME.env] = str(self.home)
        return env

    def client(self) -> ControlClient:
        """Return a client for the running supervisor; UnavailableError if none runs."""
        client = ControlClient.for_home(self.home)
        if client is None:
            raise UnavailableError(
                f"the cluster at {self.home} is not running; start it with `reelstack up`"
            )
        return client


def cli_of(ctx: typer.Context) -> Cli:
    """Return the run's state from the Typer context."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Cli):
        obj = Cli()
        ctx.find_root().obj = obj
    return obj


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (no colours or wrapping: it is for programs)."""
    typer.echo(json.dumps(data, indent=2, default=str))
