"""What the router works with: subgraphs, compositions and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SubgraphSource:
    """Where one subgraph is served: the service's name and its endpoint URL."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Subgraph:
    """One subgraph as composed: name, endpoint URL and SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class CompositionError:
    """One error of a failed composition and the subgraphs it names."""

    message: str
    code: str = ""
    subgraphs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Composition:
    """The result of composing a set of subgraphs: a supergraph, or errors."""

    supergraph: str | None
    errors: tuple[CompositionError, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the composition produced a supergraph."""
        return self.supergraph is not None


@dataclass
class RouterStatus:
    """What ``GET /router/status`` reports: what is served and what was refused, by name."""

    # name -> URL of the subgraphs in the supergraph being served
    served: dict[str, str] = field(default_factory=dict)
    # when the served supergraph was written (Unix seconds; None: none yet)
    composed_at: float | None = None
    # subgraphs that broke the last composition, name -> the errors naming them
    broken: dict[str, list[str]] = field(default_factory=dict)
    # subgraphs found in the registry whose SDL could not be fetched, name -> why
    unreachable: dict[str, str] = field(default_factory=dict)
    # errors of the last composition that name no subgraph
    errors: list[str] = field(default_factory=list)
    compositions: int = 0
    failures: int = 0
