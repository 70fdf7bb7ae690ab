"""``reelstack titles``: list, show and delete the titles the media service holds.

The same media service ``reelstack ingest`` talks to (see
:func:`reelstack.cli.ingest.media_service`). Deleting a title removes its
kept source, its upload and everything published for it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reelstack.cli import render
from reelstack.cli.cluster_commands import JsonOption
from reelstack.cli.context import cli_of, console, print_json
from reelstack.cli.ingest import media_service
from reelstack.cli.media_client import MediaClient
from reelstack.cli.signed_media import with_signed_urls
from reelstack.config import Config

titles_app = typer.Typer(help="See and delete ingested titles.", no_args_is_help=True)

STATE_STYLE = {"ready": "green", "refused": "red", "failed": "red"}


def _with_base(title: dict[str, Any], base_url: str, config: Config) -> dict[str, Any]:
    """The title with its playlists signed, and its published URLs made absolute when the
    service outlives the command."""
    title = with_signed_urls(config, title)
    if not base_url:
        return title
    return {
        key: f"{base_url}{value}"
        if key.endswith("_url") and isinstance(value, str) and value.startswith("/")
        else value
        for key, value in title.items()
    }


def _episode(title: dict[str, Any]) -> str:
    if not title.get("series"):
        return ""
    return f"{title['series']} s{title.get('season') or 0}e{title.get('episode') or 0}"


def _table(titles: list[dict[str, Any]]) -> Table:
    table = render.table(
        "TITLE",
        "NAME",
        "EPISODE",
        "STATE",
        "LENGTH",
        "RUNGS",
        "NOTE",
        flexible=("NAME", "EPISODE", "NOTE"),
    )
    for title in titles:
        state = title["state"]
        duration = title.get("duration_s")
        table.add_row(
            title["id"],
            render.clipped(title["name"]),
            render.clipped(_episode(title)),
            f"[{STATE_STYLE.get(state, 'white')}]{state}[/]",
            f"{duration:.0f} s" if duration else "-",
            str(len(title.get("rungs") or [])) or "-",
            render.clipped(title.get("reason") or ""),
        )
    return table


@titles_app.command("list")
def list_titles(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option(help="Only titles in this state (e.g. ready, failed).")
    ] = None,
    series: Annotated[str | None, typer.Option(help="Only this series' episodes.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the titles, oldest first."""
    filters = {k: v for k, v in (("state", state), ("series", series)) if v is not None}
    cli = cli_of(ctx)
    with (
        media_service(cli, wait=False) as (base_url, local),
        MediaClient(base_url) as client,
    ):
        base = "" if local else base_url
        found = [_with_base(t, base, cli.config) for t in client.titles(**filters)]
    if as_json:
        print_json(found)
    elif not found:
        console.print("no titles")
    else:
        console.print(_table(found))


@titles_app.command("show")
def show(
    ctx: typer.Context,
    title_id: Annotated[str, typer.Argument(help="The title's id.")],
    as_json: JsonOption = False,
) -> None:
    """Show one title: its state, ladder, markers and where to play it."""
    cli = cli_of(ctx)
    with (
        media_service(cli, wait=False) as (base_url, local),
        MediaClient(base_url) as client,
    ):
        title = _with_base(client.title(title_id), "" if local else base_url, cli.config)
    if as_json:
        print_json(title)
        return
    console.print(_table([title]))
    # The table cuts long text to fit the terminal; show prints it whole.
    for label, key in (("name", "name"), ("note", "reason")):
        if title.get(key):
            console.print(f"{label:<6} {escape(title[key])}")
    for rung in title.get("rungs") or []:
        vmaf = rung.get("vmaf")
        console.print(
            f"  {rung.get('codec', 'h264')} {rung['width']}x{rung['height']}"
            f" {rung['bitrate_kbps']} kb/s" + (f" VMAF {vmaf:.1f}" if vmaf is not None else "")
        )
    for label, key in (("play", "master_url"), ("dash", "dash_url"), ("poster", "poster_url")):
        if title.get(key):
            console.print(f"{label:<6} {title[key]}")
    for label, key in (("intro", "intro_start_s"), ("credits", "credits_start_s")):
        if title.get(key) is not None:
            end = f"-{title['intro_end_s']:.1f}" if label == "intro" else ""
            console.print(f"{label:<6} {title[key]:.1f}{end} s")


@titles_app.command("delete")
def delete(
    ctx: typer.Context,
    title_ids: Annotated[list[str], typer.Argument(help="The titles' ids.")],
) -> None:
    """Delete titles: their kept sources, uploads and published files."""
    with (
        media_service(cli_of(ctx), wait=False) as (base_url, _local),
        MediaClient(base_url) as client,
    ):
        for title_id in title_ids:
            client.delete_title(title_id)
            console.print(f"deleted {title_id}")


def register(app: typer.Typer) -> None:
    """Add ``titles`` to ``app``."""
    app.add_typer(titles_app, name="titles")
