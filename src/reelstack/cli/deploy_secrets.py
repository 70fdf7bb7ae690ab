"""``reelstack deploy secrets``: make the deployment's secrets, outside git."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reelstack import services
from reelstack.cli.context import cli_of, console, err_console
from reelstack.deploy import files, secrets


def make_secrets(
    ctx: typer.Context,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Make new values for every secret (PostgreSQL keeps its old password"
            " until it is changed in the database too).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write under instead of this checkout: DIR/deploy/secrets.env"
            " and DIR/deploy/k8s/secrets.yaml.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Write fresh random secrets for compose and Kubernetes (mode 0600, never committed).

    deploy/secrets.env is for `docker compose --env-file deploy/secrets.env`;
    deploy/k8s/secrets.yaml for `kubectl apply -f`. Values already in
    deploy/secrets.env are kept unless --rotate; the values are never printed.
    Each service gets its own registry credential, derived from the cluster
    secret: run it again after adding a service.
    """
    root = out if out is not None else files.CHECKOUT
    try:
        found = secrets.write(root, services.of(cli_of(ctx).config).values(), rotate=rotate)
    except OSError as exc:
        err_console.print(
            f"[red]error:[/] cannot write the secrets under {escape(str(root))}: {exc}"
        )
        raise typer.Exit(1) from None
    console.print(
        f"wrote {escape(str(secrets.ENV_FILE))} and {escape(str(secrets.K8S_FILE))} under"
        f" {escape(str(root))} (0600): {escape(', '.join(found))}"
    )
