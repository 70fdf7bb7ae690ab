"""The demo catalog for ``reelstack demo``: generate, ingest, wait, say where to watch.

``demo`` waits only for the first title (a film: quick to render and
encode), prints where to watch it, and starts ``reelstack demo-fill`` in the
background for the rest, which appear one by one as they are encoded.
Sources are rendered once into ``<home>/demo/<spec hash>/`` and titles that
already exist (by name) are not uploaded again, so a second ``demo`` on the
same home takes seconds; :mod:`.demo_uploads` says how an interrupted run
picks up. Titles are uploaded to a media instance of the cluster; if the
cluster runs no media worker, one is started here until they are encoded.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import httpx
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from reelstack.cli import demo_catalog as demo
from reelstack.cli import demo_uploads, render
from reelstack.cli.context import Cli, console, err_console
from reelstack.cli.local_media import worker_unless_running
from reelstack.cli.media_client import MediaClient
from reelstack.cli.signed_media import with_signed_urls
from reelstack.errors import UnavailableError
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg.binaries import find_binaries

POLL_S = 0.5
WAIT_S = 1800.0
SETTLED = ("ready", "refused", "failed")
GRAPH_WAIT_S = 120.0


def _url(view: dict[str, Any]) -> str:
    return f"http://{view['host']}:{view['port']}"


def _up(instances: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [v for v in instances if v["service"] == service and v["state"] == "up"]


def sources(
    cli: Cli, titles: tuple[demo.DemoTitle, ...], *, catalog: tuple[demo.DemoTitle, ...]
) -> dict[str, Path]:
    """Render (or find in the cache) ``titles``' sources; return them by slug.

    The cache folder is named by the whole ``catalog``'s spec, so rendering
    it a few titles at a time fills the same folder.
    """
    config = cli.config
    seconds, size = (
        config.get(media_settings.MEDIA_DEMO_SECONDS),
        config.get(media_settings.MEDIA_DEMO_SIZE),
    )
    folder = demo_uploads.folder(cli.home) / demo.spec_hash(catalog, seconds=seconds, size=size)
    binaries = find_binaries(
        config.get(media_settings.MEDIA_FFMPEG), config.get(media_settings.MEDIA_FFPROBE)
    )
    made: dict[str, Path] = {}
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console) as bars:
        task = bars.add_task("generating demo sources", total=len(titles))
        for title in titles:
            made[title.slug] = demo.generate(
                binaries, title, folder=folder, seconds=seconds, size=size
            )
            bars.advance(task)
    return made


def ingest_catalog(
    client: MediaClient,
    home: Path,
    titles: tuple[demo.DemoTitle, ...],
    files: dict[str, Path],
    chunk: int,
) -> list[str]:
    """Upload the titles the service does not have yet (resuming cut-off ones); return ids."""
    return [
        demo_uploads.upload_once(client, home, title, files[title.slug], chunk=chunk)
        for title in titles
    ]


def wait_all(
    client: MediaClient, ids: list[str], timeout_s: float = WAIT_S, label: str = ""
) -> list[dict[str, Any]]:
    """Wait until every title is ready (or refused or failed); return them."""
    deadline = time.monotonic() + timeout_s
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console) as bars:
        task = bars.add_task(label or "encoding the demo catalog", total=len(ids))
        while True:
            titles = [client.title(title_id) for title_id in ids]
            done = sum(1 for t in titles if t["state"] in SETTLED)
            bars.update(task, completed=done)
            if done == len(ids):
                return titles
            if time.monotonic() > deadline:
                raise UnavailableError(
                    f"{len(ids) - done} demo titles are not encoded after {timeout_s:.0f}s"
                )
            time.sleep(POLL_S)


def first_of(titles: tuple[demo.DemoTitle, ...]) -> demo.DemoTitle:
    """The title a newcomer can watch first: the first film (quick to render and encode)."""
    return next((t for t in titles if t.series is None), titles[0])


def publish(cli: Cli, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put the first demo title on the running cluster, print where to watch it, and leave
    the rest of the catalog to a background process (see :mod:`.demo_uploads`)."""
    media = _up(instances, "media")
    if not media:
        raise UnavailableError("the cluster runs no media instance that is up")
    catalog = demo.catalog(cli.config.get(media_settings.MEDIA_DEMO_TITLES))
    first = first_of(catalog)
    chunk = cli.config.get(media_settings.MEDIA_UPLOAD_CHUNK_BYTES)
    files = sources(cli, (first,), catalog=catalog)
    with MediaClient(_url(media[0])) as client:
        with err_console.status(f"uploading {escape(first.name)} ..."):
            ids = ingest_catalog(client, cli.home, (first,), files, chunk)
        settled = all(client.title(i)["state"] in SETTLED for i in ids)
        worker = worker_unless_running(cli.child_env(), instances, err_console.print)
        with contextlib.nullcontext() if settled else worker:
            published = wait_all(client, ids, label=f"encoding {first.name}"[:28])
    rest = len(catalog) - 1
    if rest:
        demo_uploads.spawn_filler(cli.home, cli.child_env())
    gateways = [_url(v) for v in _up(instances, "gateway")]
    candidates = [*gateways, _url(media[0])]
    # Playlists play only at signed URLs: the operator gets links any player opens.
    shown = [with_signed_urls(cli.config, t) for t in published]
    masters = [t["master_url"] for t in shown if t.get("master_url")]
    ready = [t["id"] for t in published if t.get("master_url")]
    # The web app's player needs a gateway that serves it and lets anyone read titles.
    watch = [
        base
        for base in gateways[:1]
        if ready
        and _answers(base, f"/watch/{ready[0]}", "text/html")
        and _answers(base, f"/api/media/titles/{ready[0]}")
        and _graph_serves(base)
    ]
    print_catalog(
        shown,
        files_base=serving_base(candidates, masters[0] if masters else "/media/"),
        api_base=serving_base(candidates, "/api/media/titles"),
        watch_base=watch[0] if watch else None,
    )
    if rest:
        console.print(
            f"\nthe other {rest} demo titles are being made and encoded in the background;"
            " each appears in the web app as it is ready (`reelstack titles list` shows them;"
            f" log: {escape(str(demo_uploads.fill_log(cli.home)))})"
        )
    if watch:
        console.print(f"\n[bold]open the web app[/]: {watch[0]}/")
    return published


def fill(cli: Cli) -> None:
    """Make and upload the demo titles the service does not have yet (``demo-fill``).

    Started in the background by ``reelstack demo``; run by hand it does the
    same in the foreground. Leaves at once if another filler runs.
    """
    with demo_uploads.filling(cli.home) as mine:
        if not mine:
            console.print("another demo filler is running; it will finish the catalog")
            return
        # Viewers watch while this renders: their playback comes first.
        os.nice(10)
        with cli.client() as control:
            instances = control.instances()
        media = _up(instances, "media")
        if not media:
            raise UnavailableError("the cluster runs no media instance that is up")
        catalog = demo.catalog(cli.config.get(media_settings.MEDIA_DEMO_TITLES))
        chunk = cli.config.get(media_settings.MEDIA_UPLOAD_CHUNK_BYTES)
        ids: list[str] = []
        with MediaClient(_url(media[0])) as client:
            # One at a time, so each title starts encoding as soon as it is in.
            for title in catalog:
                files = sources(cli, (title,), catalog=catalog)
                ids += ingest_catalog(client, cli.home, (title,), files, chunk)
                console.print(f"uploaded {title.name}")
            with worker_unless_running(cli.child_env(), instances, console.print):
                done = wait_all(client, ids)
        for view in done:
            console.print(f"{view['name']}: {view['state']}")


def _answers(base: str, path: str, content_type: str = "") -> bool:
    try:
        reply = httpx.get(f"{base}{path}", timeout=2)
    except httpx.HTTPError:
        return False
    return reply.status_code == 200 and reply.headers.get("content-type", "").startswith(
        content_type
    )


def _graph_serves(base: str, within_s: float = GRAPH_WAIT_S) -> bool:
    """Wait until the gateway's ``/graphql`` answers (the web app's every page asks it).

    Instances are up before the router has composed the subgraphs; until then
    ``/graphql`` answers 503 and a newcomer who opens the printed URL at once
    sees "could not load your profiles".
    """
    deadline = time.monotonic() + within_s
    with err_console.status("waiting for the graph the web app reads ..."):
        while True:
            try:
                reply = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=5)
                if reply.status_code not in (502, 503, 504):
                    return True
            except httpx.HTTPError as error:
                err_console.print(f"[dim]the graph does not answer yet: {escape(str(error))}[/]")
            if time.monotonic() > deadline:
                err_console.print(
                    f"the graph at {base}/graphql does not answer after {within_s:.0f}s;"
                    " see the router's log under <home>/logs/"
                )
                return False
            time.sleep(POLL_S)


def serving_base(candidates: list[str], path: str) -> str:
    """The first base URL that answers ``path`` with 200: a gateway when it does, else media."""
    return next((base for base in candidates if _answers(base, path)), candidates[-1])


def print_catalog(
    titles: list[dict[str, Any]], *, files_base: str, api_base: str, watch_base: str | None
) -> None:
    """A table of the demo titles, then each one's HLS master playlist."""
    table = render.table(
        "TITLE", "KIND", "RATING", "LADDER", "INTRO", "CREDITS", flexible=("TITLE", "LADDER")
    )
    for title in titles:
        intro = credits = ""
        if title.get("intro_start_s") is not None:
            intro = f"{title['intro_start_s']:.1f}-{title['intro_end_s']:.1f}s"
        if title.get("credits_start_s") is not None:
            credits = f"{title['credits_start_s']:.1f}s"
        rungs = title.get("rungs") or []
        count = f"{len(rungs)} rung{'s' if len(rungs) != 1 else ''}"
        ladder = render.clipped(f"{count}, {max(r['height'] for r in rungs)}p" if rungs else "-")
        if title["state"] != "ready":
            # `reelstack titles show ID` prints the whole reason.
            ladder = render.clipped(f"{title['state']}: {title.get('reason')}", style="red")
        table.add_row(
            render.clipped(title["name"]),
            title["kind"],
            title["maturity_rating"],
            ladder,
            intro,
            credits,
        )
    console.print("\n[bold]demo catalog[/]")
    console.print(table)
    if watch_base is not None:
        console.print("\n[bold]watch in a browser[/]:")
        for title in titles:
            if title.get("master_url"):
                console.print(f"  {escape(title['name'])}: {watch_base}/watch/{title['id']}")
    console.print("\n[bold]HLS master playlists[/] (play them in any HLS player, e.g. hls.js):")
    for title in titles:
        if title.get("master_url"):
            console.print(f"  {escape(title['name'])}: {files_base}{title['master_url']}")
    console.print(f"\ntitles API: {api_base}/api/media/titles")
