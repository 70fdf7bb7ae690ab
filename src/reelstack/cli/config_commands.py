"""``reelstack config``: effective settings and where each came from; runtime properties.

``config get`` resolves settings as a process started from this shell would
(defaults < file < environment < ``--home``), then applies the runtime
properties of the chosen scope: with ``--service S`` those set for S or for
every service, without it those set for every service. ``set`` and ``unset``
change the host's property store, which running instances poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from reelstack import services, settings
from reelstack.cli import render
from reelstack.cli.context import Cli, cli_of, console, print_json
from reelstack.config import Config, Secret, validate_runtime
from reelstack.errors import ConfigError

if TYPE_CHECKING:
    from reelstack.chassis.properties import PropertyStore

config_app = typer.Typer(help="See and change settings.", no_args_is_help=True)

ServiceOption = Annotated[
    str | None,
    typer.Option(
        "--service", "-s", help="Scope: one service's properties (default: every service)."
    ),
]
HIDDEN = "********"


def _store(cli: Cli) -> PropertyStore:
    # Imported here: the chassis package pulls in the web stack, which the
    # cluster commands do not need.
    from reelstack.chassis.properties import PropertyStore

    return PropertyStore.for_config(cli.config)


def _check_service(service: str | None) -> None:
    known_services = services.specs(settings.extra_services())
    if service is not None and service not in known_services:
        known = ", ".join(sorted(known_services))
        raise ConfigError("--service", service, "args", f"unknown service; known: {known}")


def _check_key(key: str) -> None:
    if key not in settings.registry():
        raise ConfigError(key, "", "args", "unknown setting; `reelstack config get` lists them")


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return HIDDEN
    if isinstance(value, tuple):
        return list(value)
    return value


def effective(cli: Cli, service: str | None) -> tuple[Config, dict[str, str]]:
    """Return the settings with the scope's runtime properties applied, and each one's scope."""
    config = cli.config
    scopes: dict[str, str] = {}
    runtime: dict[str, str] = {}
    for scope, key, value, _ in _store(cli).all():
        if scope == "*" and key not in runtime:
            runtime[key] = value
            scopes[key] = "every service"
        elif service is not None and scope == service:
            runtime[key] = value
            scopes[key] = f"service {service}"
    config.apply_runtime(runtime)
    return config, scopes


@config_app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="One setting (default: all).")] = None,
    service: ServiceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show effective values and where each came from (default, file, env, args, runtime)."""
    cli = cli_of(ctx)
    _check_service(service)
    if key is not None:
        _check_key(key)
    config, scopes = effective(cli, service)
    keys = [key] if key is not None else [s.key for s in settings.registry().all()]
    rows: list[dict[str, Any]] = []
    for name in keys:
        setting = settings.registry()[name]
        resolved = config.resolved(setting)
        secret = isinstance(resolved.value, Secret)
        row = {
            "key": name,
            "value": _plain(resolved.value),
            "raw": HIDDEN if secret else resolved.raw,
            "source": resolved.source,
            "runtime": setting.runtime,
            "env": setting.env,
            "doc": setting.doc,
        }
        if resolved.source == "runtime":
            row["scope"] = scopes.get(name, "")
        rows.append(row)
    if as_json:
        print_json(rows[0] if key is not None else rows)
        return
    if key is not None:
        # One setting: its whole value, however long, as `--json` would give it.
        row = rows[0]
        console.print(f"{escape(row['key'])} = {escape(str(row['raw']))}")
        console.print(f"  source: {escape(_source(row))}")
        return
    table = render.table("KEY", "VALUE", "SOURCE", flexible=("VALUE", "SOURCE"))
    for row in rows:
        name = row["key"] + (" [dim]*[/]" if row["runtime"] else "")
        table.add_row(name, render.clipped(str(row["raw"])), render.clipped(_source(row)))
    console.print(table)
    if key is None:
        console.print("[dim]* may change at runtime: reelstack config set KEY VALUE[/]")


def _source(row: dict[str, Any]) -> str:
    return str(row["source"]) + (f" ({row['scope']})" if row.get("scope") else "")


@config_app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A runtime setting, e.g. hello.greeting.")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
    service: ServiceOption = None,
) -> None:
    """Set a runtime property; running instances pick it up without a restart."""
    cli = cli_of(ctx)
    _check_service(service)
    validate_runtime(settings.registry(), key, value)
    _store(cli).set(key, value, service=service)
    poll_s = cli.config.get(settings.PROPERTIES_POLL_S)
    scope = f"service {service}" if service else "every service"
    console.print(
        f"{escape(key)} = {escape(repr(value))} for {escape(scope)}; "
        f"running instances apply it within {poll_s:g}s"
    )


@config_app.command("unset")
def unset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A runtime setting, e.g. hello.greeting.")],
    service: ServiceOption = None,
) -> None:
    """Remove a runtime property; the value falls back to file, environment or default."""
    cli = cli_of(ctx)
    _check_service(service)
    _check_key(key)
    scope = f"service {service}" if service else "every service"
    if _store(cli).unset(key, service=service):
        console.print(f"unset {escape(key)} for {escape(scope)}")
    else:
        console.print(f"{escape(key)} was not set for {escape(scope)}")
