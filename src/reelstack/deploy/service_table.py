"""The service table of ``docs/architecture.md``, written from the specs.

The page keeps the table between two marker comments; everything outside
them is prose written by hand and left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from reelstack.chassis.spec import ServiceSpec
from reelstack.deploy.layout import Layout, replicas

BEGIN = "<!-- services:begin -->"
END = "<!-- services:end -->"
COLUMNS = (
    "service",
    "package",
    "ports",
    "gateway routes",
    "migration branch",
    "instances",
    "deployment",
)


def _code(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items) or "-"


def deployment(spec: ServiceSpec) -> str:
    """Return how deployments run ``spec`` beyond its instances, in a few words."""
    notes: list[str] = []
    if spec.deploy.public_port is not None:
        notes.append(f"public (port {spec.deploy.public_port})")
    if spec.deploy.listener is not None:
        listener = spec.deploy.listener
        notes.append(
            f"viewer listener public (port {listener.public_port}, `{listener.port_setting}`)"
        )
    if spec.deploy.addressable:
        notes.append("addressable")
    if not spec.deploy.needs_engines:
        notes.append("does not wait for the engines")
    notes += [f"volume `{v.name}` at `{v.setting}`" for v in spec.deploy.volumes]
    return "; ".join(notes) or "-"


def table(specs: Iterable[ServiceSpec], layout: Layout) -> str:
    """Return the Markdown table of ``specs``, one row per service."""
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for spec in specs:
        zones = ", ".join(f"{count} in {zone}" for zone, count in replicas(spec, layout))
        cells = [
            f"`{spec.name}`",
            f"`{spec.package}`",
            _code(spec.ports),
            _code(spec.routes),
            _code([spec.migrations] if spec.migrations else []),
            f"{layout.count(spec)} ({zones})",
            deployment(spec),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def block(specs: Iterable[ServiceSpec], layout: Layout) -> str:
    """Return the marked block: the markers, a do-not-edit line, the table."""
    return "\n".join(
        [
            BEGIN,
            "<!-- Written by `reelstack deploy render` from each service's spec;"
            " edit the specs, not these lines. -->",
            table(specs, layout),
            END,
        ]
    )


def rewrite(page: str, specs: Iterable[ServiceSpec], layout: Layout) -> str:
    """Return ``page`` with its marked block replaced; ValueError if the markers are missing."""
    start = page.find(BEGIN)
    end = page.find(END, start + 1)
    if start < 0 or end < 0:
        raise ValueError(f"no {BEGIN} ... {END} block to write the service table into")
    return page[:start] + block(specs, layout) + page[end + len(END) :]
