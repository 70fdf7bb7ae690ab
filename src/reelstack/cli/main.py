"""The ``reelstack`` command: ``reelstack.cli.main:main``.

Expected errors (reelstack's own: an invalid setting, a cluster not running,
an unknown instance) are printed as one red line, followed by any detail such
as the end of a log, without a traceback. Exit codes: 0 done, 1 failed, 2 an
invalid setting or usage.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reelstack.cli import cluster_commands, edges, ingest, titles, users
from reelstack.cli.config_commands import config_app
from reelstack.cli.context import Cli, err_console
from reelstack.errors import ConfigError, ReelstackError, SpecError

EXIT_FAILED = 1
EXIT_CONFIG = 2

app = typer.Typer(
    name="reelstack",
    help="Run and operate the reelstack local cluster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="The cluster's home folder (state, stores, logs); as REELSTACK_HOME.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """reelstack: a video-streaming platform you can run yourself."""
    ctx.obj = Cli(home_option=home)


cluster_commands.register(app)
ingest.register(app)
titles.register(app)
users.register(app)
edges.register(app)
app.add_typer(config_app, name="config")


def report(exc: ReelstackError) -> None:
    """Print an expected error: its first line in red, then any detail plainly."""
    first, _, rest = str(exc).partition("\n")
    err_console.print(f"[red]error:[/] [red]{escape(first)}[/]")
    if rest:
        err_console.print(escape(rest))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="reelstack")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_FAILED)
    except (ConfigError, SpecError) as exc:
        report(exc)
        return EXIT_CONFIG
    except ReelstackError as exc:
        report(exc)
        return EXIT_FAILED
    return 0
