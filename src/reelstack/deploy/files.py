"""Which file each rendering goes to, and writing or checking them.

Paths are relative to a root: the checkout by default (the folder holding
``deploy/`` and ``docs/``), or any folder given to ``reelstack deploy render
--out``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import reelstack
from reelstack.chassis.spec import ServiceSpec
from reelstack.deploy import compose, k8s, network, service_table
from reelstack.deploy.layout import Layout

CHECKOUT = Path(reelstack.__file__).resolve().parents[2]
"""The checkout this reelstack runs from (``src/reelstack/`` is two levels down)."""

COMPOSE = Path("deploy/compose.yaml")
K8S = Path("deploy/k8s/services.yaml")
NETWORK = Path("deploy/k8s/network.yaml")
ARCHITECTURE = Path("docs/architecture.md")


def rendered(root: Path, specs: Iterable[ServiceSpec], layout: Layout) -> dict[Path, str]:
    """Return each file's text as rendered from ``specs``, by path relative to ``root``.

    The architecture page is included only where it exists under ``root``:
    only its marked block is written, the rest is read from the page.
    Raises ValueError if the page lacks the block's markers.
    """
    specs = list(specs)
    out = {
        COMPOSE: compose.render(specs, layout),
        K8S: k8s.render(specs, layout),
        NETWORK: network.render(specs),
    }
    page = root / ARCHITECTURE
    if page.is_file():
        try:
            out[ARCHITECTURE] = service_table.rewrite(page.read_text(), specs, layout)
        except ValueError as exc:
            raise ValueError(f"{page}: {exc}") from None
    return out


def outdated(root: Path, files: dict[Path, str]) -> list[Path]:
    """Return the files under ``root`` whose text differs from ``files`` (or that are missing)."""
    stale: list[Path] = []
    for path, text in files.items():
        target = root / path
        if not target.is_file() or target.read_text() != text:
            stale.append(path)
    return stale


def write(root: Path, files: dict[Path, str]) -> list[Path]:
    """Write the files under ``root`` that differ from ``files``; return those written."""
    changed = outdated(root, files)
    for path in changed:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[path])
    return changed
