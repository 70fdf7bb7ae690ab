"""``reelstack edge``: the edges' status (hit ratios, offload, fill), fill and purge on demand.

The edges are the running cluster's ``edge`` instances (the supervisor's
list: their management app on ``http://host:port``), or the ``--edge`` URLs
given. Each answers ``GET /edge/status``, ``POST /edge/fill`` and
``DELETE /edge/titles/<title>`` (the shared contract). What an edge answers
is shown, never trusted: numbers that are not numbers show as ``-`` and
text is printed without markup.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from reelstack.cli.context import Cli, cli_of, console, err_console, print_json
from reelstack.errors import ReelstackError, UnavailableError

EDGE_SERVICE = "edge"
# The edge's own check (``reelstack.edge.schemas``): one path segment, never '.' or '..'.
TITLE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
STATUS_TIMEOUT_S = 5.0
MAX_ANSWER_BYTES = 1 << 20

edge_app = typer.Typer(help="Edges: their status, fill and purge on demand.", no_args_is_help=True)

EdgeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--edge",
        help="An edge's management URL (http://host:port); repeat for more. Default: the"
        " running cluster's edge instances.",
    ),
]


def edge_urls(cli: Cli, given: list[str] | None) -> list[str]:
    """Return the management base URLs of the edges to ask."""
    if given:
        return [url.rstrip("/") for url in given]
    with cli.client() as client:
        views = client.instances()
    return [
        f"http://{view['host']}:{view['port']}"
        for view in views
        if view.get("service") == EDGE_SERVICE and view.get("state") == "up" and view.get("port")
    ]


def _get_json(http: httpx.Client, method: str, url: str, body: Any = None) -> dict[str, Any]:
    try:
        response = http.request(method, url, json=body)
    except httpx.HTTPError as exc:
        raise UnavailableError(f"{url}: no answer: {exc}") from exc
    if response.status_code >= 400:
        raise UnavailableError(f"{url}: HTTP {response.status_code}")
    if len(response.content) > MAX_ANSWER_BYTES:
        raise UnavailableError(f"{url}: an answer over {MAX_ANSWER_BYTES} bytes")
    try:
        data = response.json()
    except ValueError as exc:
        raise UnavailableError(f"{url}: not JSON") from exc
    if not isinstance(data, dict):
        raise UnavailableError(f"{url}: not a JSON object")
    return data


def statuses(urls: list[str]) -> list[dict[str, Any]]:
    """Ask each edge for its status; an edge that does not answer is reported unhealthy."""
    out: list[dict[str, Any]] = []
    with httpx.Client(timeout=STATUS_TIMEOUT_S) as http:
        for url in urls:
            try:
                status = _get_json(http, "GET", f"{url}/edge/status")
            except UnavailableError as exc:
                status = {"healthy": False, "error": str(exc)}
            out.append({"management_url": url, **status})
    return out


def _number(value: Any) -> float | None:
    # bool is an int to Python, not a figure to an operator.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _ratio(value: Any) -> str:
    number = _number(value)
    return "-" if number is None else f"{number * 100:.1f}%"


def size(value: Any) -> str:
    """Bytes in a short binary unit: 512B, 1.5K, 20.0M, 3.2G."""
    number = _number(value)
    if number is None:
        return "-"
    for unit in ("B", "K", "M", "G", "T"):
        if abs(number) < 1024 or unit == "T":
            return f"{number:.0f}{unit}" if unit == "B" else f"{number:.1f}{unit}"
        number /= 1024
    return "-"  # unreachable: the loop returns at T


def _fill(status: dict[str, Any]) -> str:
    used, capacity = _number(status.get("used_bytes")), _number(status.get("capacity_bytes"))
    if used is None or not capacity:
        return "-"
    return f"{used / capacity * 100:.0f}%"


def status_table(rows: list[dict[str, Any]]) -> Table:
    """The edges in 80 columns: hit ratios by requests and bytes, offload, cache fill, served."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("EDGE", no_wrap=True, max_width=22, overflow="ellipsis")
    for column in ("REGION", "HEALTH", "HITS", "BYTEHITS", "OFFLOAD", "FILL", "SERVED"):
        table.add_column(column, no_wrap=True, justify="left" if column == "REGION" else "right")
    for row in rows:
        healthy = row.get("healthy") is True and "error" not in row
        table.add_row(
            escape(str(row.get("instance") or row["management_url"])),
            escape(str(row.get("region") or "-"))[:8],
            "[green]up[/]" if healthy else "[red]down[/]",
            _ratio(row.get("hit_ratio_requests")),
            _ratio(row.get("hit_ratio_bytes")),
            _ratio(row.get("origin_offload")),
            _fill(row),
            size(row.get("bytes_served")),
        )
    return table


@edge_app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    edge: EdgeOption = None,
) -> None:
    """Each edge's region, health, hit ratios, origin offload, cache fill and bytes served."""
    urls = edge_urls(cli_of(ctx), edge)
    rows = statuses(urls)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no edges are running")
        return
    console.print(status_table(rows))
    for row in rows:
        if "error" in row:
            err_console.print(f"[red]{escape(row['error'])}[/]")


@edge_app.command("fill")
def fill(
    ctx: typer.Context,
    now: Annotated[bool, typer.Option("--now", help="Run a fill round on every edge now.")] = False,
    title: Annotated[
        list[str] | None,
        typer.Option("--title", help="Fill this title (repeat); default: the region's popular."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for each edge's round.")
    ] = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the edges' answers.")] = False,
    edge: EdgeOption = None,
) -> None:
    """Fill the edges now (they fill by themselves in their edge.fill_window)."""
    if not now:
        raise typer.BadParameter("give --now: edges fill by themselves in their fill window")
    urls = edge_urls(cli_of(ctx), edge)
    body: dict[str, Any] = {"titles": title} if title else {}
    answers: list[dict[str, Any]] = []
    failed: list[str] = []
    with httpx.Client(timeout=timeout) as http:
        for url in urls:
            try:
                answer = _get_json(http, "POST", f"{url}/edge/fill", body)
            except UnavailableError as exc:
                failed.append(str(exc))
                answers.append({"management_url": url, "error": str(exc)})
                continue
            answers.append({"management_url": url, **answer})
            if not as_json:
                console.print(f"[green]filled[/] {escape(url)}: {escape(_summary(answer))}")
    if as_json:
        print_json(answers)
    elif not urls:
        console.print("no edges are running")
    if failed:
        raise ReelstackError("some edges did not fill:\n" + "\n".join(failed))


@edge_app.command("purge")
def purge(
    ctx: typer.Context,
    title_id: Annotated[str, typer.Argument(help="The title to drop from every edge.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the edges' answers.")] = False,
    edge: EdgeOption = None,
) -> None:
    """Drop a title from every edge's cache (after an unpublish or a takedown)."""
    if not TITLE_ID.fullmatch(title_id):
        raise typer.BadParameter(f"{title_id!r} is not a title id")
    urls = edge_urls(cli_of(ctx), edge)
    answers: list[dict[str, Any]] = []
    failed: list[str] = []
    with httpx.Client(timeout=STATUS_TIMEOUT_S) as http:
        for url in urls:
            try:
                answer = _get_json(http, "DELETE", f"{url}/edge/titles/{title_id}")
            except UnavailableError as exc:
                failed.append(str(exc))
                answers.append({"management_url": url, "error": str(exc)})
                continue
            answers.append({"management_url": url, **answer})
            if not as_json:
                files = _number(answer.get("files"))
                dropped = "-" if files is None else f"{int(files)} file(s)"
                console.print(
                    f"[green]purged[/] {escape(url)}: {dropped}, {size(answer.get('bytes'))}"
                )
    if as_json:
        print_json(answers)
    elif not urls:
        console.print("no edges are running")
    if failed:
        # An edge that missed the purge still serves the title: the operator must know.
        raise ReelstackError("some edges were not purged:\n" + "\n".join(failed))


def _summary(answer: dict[str, Any]) -> str:
    titles = answer.get("titles")
    parts = [f"{len(titles)} title(s)"] if isinstance(titles, list) else []
    if (files := _number(answer.get("files"))) is not None:
        parts.append(f"{int(files)} file(s), {size(answer.get('bytes'))} copied")
    if failed := _number(answer.get("failed")):
        parts.append(f"{int(failed)} failed")
    return ", ".join(parts) or "done"


def register(app: typer.Typer) -> None:
    """Add ``edge`` to ``app``."""
    app.add_typer(edge_app, name="edge")
