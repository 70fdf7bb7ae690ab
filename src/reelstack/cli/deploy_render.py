"""``reelstack deploy render``: write the deployment files from the service specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reelstack import services
from reelstack.cli.context import cli_of, console, err_console
from reelstack.deploy import files
from reelstack.deploy.layout import Layout


def render(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 naming the files that differ from the render."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write or check instead of this checkout: DIR/deploy/compose.yaml,"
            " DIR/deploy/k8s/services.yaml and the service table of DIR/docs/architecture.md"
            " (where that page exists).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Write the deployment files from every service's spec.

    They are deploy/compose.yaml, deploy/k8s/services.yaml and the service
    table of docs/architecture.md; the extra services (services.extra) are
    included, zones and instance counts are the settings' defaults.
    """
    specs = services.of(cli_of(ctx).config).values()
    root = out if out is not None else files.CHECKOUT
    if out is None and not (root / files.COMPOSE).is_file():
        # Installed from a wheel: there is no checkout to write into.
        err_console.print(
            f"[red]error:[/] no checkout at {escape(str(root))} (no {files.COMPOSE}); "
            "give the folder to write with --out"
        )
        raise typer.Exit(1)
    try:
        rendered = files.rendered(root, specs, Layout.defaults())
    except ValueError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    if check:
        stale = files.outdated(root, rendered)
        if stale:
            names = ", ".join(str(path) for path in stale)
            err_console.print(
                f"[red]out of date:[/] {escape(names)} (under {escape(str(root))}); "
                "run `reelstack deploy render` (make deploy-render)"
            )
            raise typer.Exit(1)
        console.print(f"up to date: {escape(', '.join(str(path) for path in rendered))}")
        return
    written = files.write(root, rendered)
    if written:
        console.print(f"wrote {escape(', '.join(str(path) for path in written))}")
    else:
        console.print("every file was up to date")
