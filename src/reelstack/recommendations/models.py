"""What the service computes and serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MATURITY_LEVELS = ("kids", "older-kids", "teens", "adults")
"""Identity's profile levels, lowest first (a test ties them to the gateway's)."""

ItemKind = Literal["title", "series"]


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a row: a film or episode (``title``) or a whole series."""

    id: str
    kind: ItemKind
    progress: float | None = None
    """How much of it the profile watched (continue watching only)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.progress is not None:
            out["progress"] = self.progress
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        kind: ItemKind = "series" if data.get("kind") == "series" else "title"
        progress = data.get("progress")
        return cls(str(data["id"]), kind, None if progress is None else float(progress))


@dataclass(frozen=True, slots=True)
class Watching:
    """What history says of a profile for its home page, from one request."""

    continuing: list[Item]
    """Continue Watching, newest first, with each title's progress."""
    last: Item | None
    """The title (or, for an episode, the series) watched last: "because you watched"."""


@dataclass(frozen=True, slots=True)
class Row:
    """A home page row: its id (``trending``, ``top10``, ``genre:Drama``, ...), name, items."""

    id: str
    name: str
    items: list[Item] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        return cls(
            str(data["id"]), str(data["name"]), [Item.from_json(i) for i in data.get("items", [])]
        )


@dataclass(frozen=True, slots=True)
class Play:
    """A play start as counted: where, when (hour since the epoch), which title."""

    region: str
    hour: int
    title_id: str


@dataclass(frozen=True, slots=True)
class CatalogTitle:
    """What the builder needs of a title catalog lets a level see in a region."""

    id: str
    name: str
    genres: tuple[str, ...]
    series_id: str | None
    series_name: str | None

    @property
    def item(self) -> Item:
        """The row entry: the series for an episode, the title itself otherwise."""
        if self.series_id is not None:
            return Item(self.series_id, "series")
        return Item(self.id, "title")

    @property
    def item_name(self) -> str:
        return self.series_name or self.name if self.series_id is not None else self.name
