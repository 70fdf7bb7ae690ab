"""``reelstack ingest``: upload a video as a title and follow it until it is playable.

Where it goes: ``media.url`` if set (a media instance or the gateway);
otherwise a media instance of the running local cluster (from the
supervisor's control API); otherwise, with no cluster, a media service and
one worker started for the duration of the command (see
:mod:`reelstack.cli.local_media`). The upload is resumable (tus), the file is
validated by the service before any work, and a refused file exits 1 with
the reason.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn

from reelstack.cli.context import Cli, cli_of, console, err_console, print_json
from reelstack.cli.media_client import MediaClient
from reelstack.cli.signed_media import signed_path
from reelstack.cluster.client import ControlClient
from reelstack.config import Config
from reelstack.errors import InvalidRequestError, UnavailableError
from reelstack.media import settings as media_settings

EXIT_REFUSED = 1
POLL_S = 0.3
WAITING = ("uploading", "uploaded", "validating")


def public_url(cli: Cli, media_url: str) -> str:
    """The base URL players should use: the local cluster's gateway when one is up.

    Media's own port is an internal address; the gateway is where a player
    on another machine (or a browser page) reaches published files.
    """
    control = ControlClient.for_home(cli.home)
    if control is None or cli.config.get(media_settings.MEDIA_URL):
        return media_url
    with control:
        views = control.instances()
    gateways = [v for v in views if v["service"] == "gateway" and v["state"] == "up"]
    if not gateways:
        return media_url
    return f"http://{gateways[0]['host']}:{gateways[0]['port']}"


@contextlib.contextmanager
def media_service(cli: Cli, *, wait: bool = True) -> Iterator[tuple[str, bool]]:
    """Yield the base URL of a media service to talk to, and whether it is a local one.

    A local service lives only as long as the command, so the URLs printed
    then are paths, for whatever serves the home later (`reelstack up`).
    """
    explicit: str = cli.config.get(media_settings.MEDIA_URL)
    if explicit:
        yield explicit.rstrip("/"), False
        return
    control = ControlClient.for_home(cli.home)
    if control is not None:
        with control:
            views = control.instances()
        up = [v for v in views if v["service"] == "media" and v["state"] == "up"]
        if not up:
            raise UnavailableError(
                f"the cluster at {cli.home} runs no media instance that is up; "
                "see `reelstack status`"
            )
        url = f"http://{up[0]['host']}:{up[0]['port']}"
        if not wait:
            yield url, False
            return
        from reelstack.cli.local_media import worker_unless_running

        with worker_unless_running(cli.child_env(), views, err_console.print):
            yield url, False
        return
    from reelstack.cli.local_media import local_media

    with err_console.status("no cluster runs: starting a media service here ..."):
        stack = contextlib.ExitStack()
        url = stack.enter_context(local_media(cli.child_env()))
    with stack:
        yield url, True


@dataclass
class Outcome:
    """How an ingest ended."""

    title: dict[str, Any]
    base_url: str
    config: Config

    @property
    def state(self) -> str:
        return str(self.title["state"])

    def as_json(self) -> dict[str, Any]:
        master = self.title.get("master_url")
        data = {
            "title_id": self.title["id"],
            "job_id": self.title.get("job_id"),
            "state": self.state,
            "master_url": f"{self.base_url}{signed_path(self.config, master)}" if master else None,
        }
        if self.title.get("reason"):
            data["reason"] = self.title["reason"]
        return data


def follow(
    client: MediaClient,
    title_id: str,
    *,
    timeout_s: float,
    progress: Progress | None,
    task: TaskID | None,
) -> dict[str, Any]:
    """Poll the title (and its job) until it is ready, refused or failed."""
    deadline = time.monotonic() + timeout_s
    while True:
        title = client.title(title_id)
        state = title["state"]
        if state in ("ready", "refused", "failed"):
            if progress is not None and task is not None and state == "ready":
                progress.update(task, completed=1.0, description="encoded")
            return title
        if state == "encoding" and title.get("job_id") and progress is not None:
            job = client.job(title["job_id"])
            assert task is not None
            progress.update(
                task, completed=float(job["progress"]), description=f"encoding ({job['state']})"
            )
        elif progress is not None and task is not None:
            progress.update(task, description=state)
        if time.monotonic() > deadline:
            raise UnavailableError(
                f"title {title_id} is still {state} after {timeout_s:.0f}s; "
                f"follow it with GET /api/media/titles/{title_id}"
            )
        time.sleep(POLL_S)


def run_ingest(
    client: MediaClient,
    path: Path,
    metadata: dict[str, str],
    *,
    chunk_bytes: int,
    subtitles: tuple[Path, str] | None,
    poster: Path | None,
    wait: bool,
    timeout_s: float,
    show: bool,
) -> dict[str, Any]:
    """Upload ``path`` with ``metadata``; follow it unless ``wait`` is false; return the title."""

    def before_data(title_id: str) -> None:
        if subtitles is not None:
            client.put_subtitles(title_id, subtitles[1], subtitles[0].read_bytes())
        if poster is not None:
            client.put_artwork(title_id, "poster", poster.read_bytes())

    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
    )
    with Progress(*columns, DownloadColumn(), console=err_console, disable=not show) as bars:
        upload = bars.add_task("uploading", total=path.stat().st_size)
        title_id = client.upload(
            path,
            metadata,
            chunk_bytes=chunk_bytes,
            before_data=before_data,
            on_progress=lambda done, total: bars.update(upload, completed=done),
        )
        if not wait:
            return client.title(title_id)
    with Progress(*columns, console=err_console, disable=not show) as bars:
        encode = bars.add_task("validating", total=1.0)
        return follow(client, title_id, timeout_s=timeout_s, progress=bars, task=encode)


def ingest(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The video file (MP4/MOV or Matroska/WebM).")],
    title: Annotated[str, typer.Option("--title", help="The title's name.")],
    synopsis: Annotated[str, typer.Option(help="A sentence or two about it.")] = "",
    genres: Annotated[str, typer.Option(help="Comma-separated genres.")] = "",
    rating: Annotated[str, typer.Option("--rating", help="Maturity rating, e.g. PG-13.")] = "",
    series: Annotated[str | None, typer.Option(help="Series name (makes it an episode).")] = None,
    season: Annotated[int | None, typer.Option(min=0, help="Season number.")] = None,
    episode: Annotated[int | None, typer.Option(min=0, help="Episode number.")] = None,
    subtitles: Annotated[
        Path | None, typer.Option(help="A SubRip (.srt) or WebVTT (.vtt) file.")
    ] = None,
    lang: Annotated[str | None, typer.Option(help="The subtitles' language, e.g. en.")] = None,
    poster: Annotated[Path | None, typer.Option(help="A poster picture (JPEG or PNG).")] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return once uploaded; do not wait for encoding.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the title to be ready.")
    ] = 3600.0,
) -> None:
    """Upload a video as a title, then wait until it is encoded (or refused)."""
    cli = cli_of(ctx)
    if not path.is_file():
        raise InvalidRequestError(f"{path} is not a file")
    if (subtitles is None) != (lang is None):
        raise InvalidRequestError("--subtitles and --lang go together")
    if subtitles is not None and subtitles.suffix.lower() not in (".srt", ".vtt"):
        raise InvalidRequestError("--subtitles takes a .srt or .vtt file")
    metadata = {"title": title, "filename": path.name}
    extra = {"synopsis": synopsis, "genres": genres, "maturity_rating": rating}
    if series is not None:
        extra["series"] = series
        extra["season"] = "" if season is None else str(season)
        extra["episode"] = "" if episode is None else str(episode)
    metadata.update({k: v for k, v in extra.items() if v})
    with media_service(cli, wait=not no_wait) as (base_url, local), MediaClient(base_url) as client:
        found = run_ingest(
            client,
            path,
            metadata,
            chunk_bytes=cli.config.get(media_settings.MEDIA_UPLOAD_CHUNK_BYTES),
            subtitles=(subtitles, lang) if subtitles is not None and lang is not None else None,
            poster=poster,
            wait=not no_wait,
            timeout_s=timeout,
            show=not as_json,
        )
    outcome = Outcome(found, "" if local else public_url(cli, base_url), cli.config)
    if as_json:
        print_json(outcome.as_json())
    else:
        _print(outcome)
    if outcome.state in ("refused", "failed"):
        raise typer.Exit(EXIT_REFUSED)


def _print(outcome: Outcome) -> None:
    data = outcome.as_json()
    state = outcome.state
    if state == "refused":
        err_console.print(f"[red]refused[/]: {escape(str(data.get('reason')))}")
    elif state == "failed":
        err_console.print(f"[red]failed[/]: {escape(str(data.get('reason')))}")
    console.print(f"title {data['title_id']}: {state}")
    if data["job_id"]:
        console.print(f"job   {data['job_id']}")
    if data["master_url"]:
        console.print(f"play  {data['master_url']}")


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to ``app``."""
    app.command()(ingest)
