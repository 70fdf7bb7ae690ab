"""The router's parts without Node or the network: sources, blame, composition loop, body limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from reelstack import services
from reelstack.chassis.discovery import InstanceInfo, Status
from reelstack.chassis.subgraph import SUBGRAPH_METADATA
from reelstack.errors import RecordTooLargeError, UnavailableError
from reelstack.router import service
from reelstack.router.compose import parse_result, write_atomically
from reelstack.router.context import PROPAGATED_HEADERS, RouterContext, RouterMetrics
from reelstack.router.discover import subgraph_sources
from reelstack.router.forward import is_json, read_body
from reelstack.router.hive import HiveGateway
from reelstack.router.models import Composition, CompositionError, Subgraph, SubgraphSource


def test_the_spec_is_accepted_and_routes_graphql() -> None:
    spec = services.specs(("reelstack.router",))["router"]
    (route,) = spec.gateway_routes()
    assert (route.prefix, route.service, route.rewrite) == ("/graphql", "router", "/graphql")
    assert route.public_methods == frozenset({"POST"}) and route.max_body_bytes == 65536
    # The cache (recommendations' rows, its fallback) is an engine in the scale profile.
    assert spec.background and spec.ports == ("cache",) and spec.deploy.needs_engines


def instance(
    service_name: str, instance_id: str, path: str | None = "/graphql", status: Status = "UP"
) -> InstanceInfo:
    metadata = {} if path is None else {SUBGRAPH_METADATA: path}
    return InstanceInfo(
        service_name,
        instance_id,
        "127.0.0.1",
        9000 + len(instance_id),
        status=status,
        metadata=metadata,
    )


def test_sources_are_up_instances_announcing_a_path_one_per_service() -> None:
    found = subgraph_sources(
        [
            instance("titles", "titles-b"),
            instance("titles", "titles-a"),  # the smallest id serves the service
            instance("ratings", "ratings-1", status="DOWN"),
            instance("hello", "hello-1", path=None),  # no subgraph
            instance("odd", "odd-1", path="graphql"),  # not a path
            instance("router", "router-1"),  # the router itself
        ],
        own="router",
    )
    assert found == [SubgraphSource("titles", "http://127.0.0.1:9008/graphql")]


def test_blame_falls_on_what_changed_among_the_subgraphs_an_error_names() -> None:
    titles, clash = Subgraph("titles", "u1", "a"), Subgraph("clash", "u2", "b")
    failed = Composition(
        None,
        (
            CompositionError("Title.name clashes", "X", ("clash", "titles")),
            CompositionError("no query type", "NO_QUERIES", ()),
        ),
    )
    broken, unblamed = service.blame(failed, [titles, clash], {"titles": titles})
    assert broken == {"clash": ["Title.name clashes", "no query type"]}
    assert unblamed == []
    # Nothing changed since what is served: errors naming no one stay unblamed.
    broken, unblamed = service.blame(failed, [titles, clash], {"titles": titles, "clash": clash})
    assert broken == {"clash": ["Title.name clashes"], "titles": ["Title.name clashes"]}
    assert unblamed == ["no query type"]


def test_composer_answers_are_read_and_garbage_refused() -> None:
    assert parse_result(b'{"supergraph": "type Query"}') == Composition("type Query")
    failed = parse_result(b'{"errors": [{"message": "m", "code": "C", "subgraphs": ["a"]}]}')
    assert failed.errors == (CompositionError("m", "C", ("a",)),) and not failed.ok
    for garbage in (b"not json", b"{}"):
        with pytest.raises(UnavailableError):
            parse_result(garbage)


def test_the_supergraph_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "r" / "supergraph.graphql"
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["supergraph.graphql"]


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_bodies_over_the_limit_are_refused_naming_the_setting() -> None:
    assert await read_body(chunks(b"ab", b"cd"), declared="4", limit=4) == b"abcd"

    async def never() -> AsyncIterator[bytes]:
        raise AssertionError("a declared length over the limit is refused before reading")
        yield b""

    with pytest.raises(RecordTooLargeError, match=r"router\.max_body_bytes"):
        await read_body(never(), declared="5000", limit=4096)
    # Without a length (chunked), counting stops it as soon as it passes.
    with pytest.raises(RecordTooLargeError, match=r"router\.max_body_bytes"):
        await read_body(chunks(b"x" * 3000, b"x" * 3000), declared=None, limit=4096)


def test_only_json_bodies_are_graphql_requests() -> None:
    assert is_json("application/json") and is_json("Application/JSON; charset=utf-8")
    for other in (
        None,
        "",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        assert not is_json(other)


class FakeComposer:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.refuse: dict[str, str] = {}  # subgraph name -> error naming it

    async def compose(self, subgraphs: Sequence[Subgraph]) -> Composition:
        self.calls.append([s.name for s in subgraphs])
        errors = tuple(
            CompositionError(message, "X", (name,))
            for name, message in self.refuse.items()
            if any(s.name == name for s in subgraphs)
        )
        if errors:
            return Composition(None, errors)
        return Composition("# " + ",".join(s.name for s in subgraphs))


class FakeGateway:
    url: str | None = None
    restarts = 0

    def __init__(self) -> None:
        self.written = 0

    def supergraph_written(self) -> None:
        self.written += 1

    async def supervise(self) -> None:
        return None


class Registry:
    """Instances and SDLs the fake fetch answers from."""

    def __init__(self) -> None:
        self.sdl: dict[str, str] = {}
        self.down: set[str] = set()

    def instances(self) -> list[InstanceInfo]:
        return [instance(name, f"{name}-1") for name in self.sdl]

    async def fetch(
        self, sources: Sequence[SubgraphSource]
    ) -> tuple[list[Subgraph], dict[str, str]]:
        found = [
            Subgraph(s.name, s.url, self.sdl[s.name]) for s in sources if s.name not in self.down
        ]
        return found, {s.name: "refused" for s in sources if s.name in self.down}


def router_context(tmp_path: Path, registry: Registry, composer: FakeComposer) -> RouterContext:
    return RouterContext(
        service="router",
        instances=registry.instances,
        composer=composer,
        gateway=FakeGateway(),
        supergraph=tmp_path / "supergraph.graphql",
        poll_s=1.0,
        fetch=registry.fetch,
        max_body_bytes=4096,
        metrics=RouterMetrics.on(CollectorRegistry()),
    )


async def test_compose_once_composes_changes_only_and_keeps_the_last_good(tmp_path: Path) -> None:
    registry, composer = Registry(), FakeComposer()
    context = router_context(tmp_path, registry, composer)
    assert not await service.compose_once(context=context)  # nothing registered
    assert composer.calls == [] and not context.supergraph.exists()

    registry.sdl = {"titles": "t1", "ratings": "r1"}
    assert await service.compose_once(context=context)
    assert context.supergraph.read_text() == "# ratings,titles"
    assert not await service.compose_once(context=context)  # unchanged: not composed again
    assert len(composer.calls) == 1

    # A subgraph that breaks composition: named, counted, the file untouched.
    registry.sdl["clash"] = "c1"
    composer.refuse["clash"] = "Title.name clashes"
    assert not await service.compose_once(context=context)
    assert context.status.broken == {"clash": ["Title.name clashes"]}
    assert context.metrics.refused.labels("clash")._value.get() == 1
    assert context.supergraph.read_text() == "# ratings,titles"
    assert set(context.status.served) == {"titles", "ratings"}

    # An SDL that cannot be fetched keeps the one served; no recomposition.
    del registry.sdl["clash"]
    assert await service.compose_once(context=context)  # clash left: composes the good set
    registry.down = {"ratings"}
    assert not await service.compose_once(context=context)
    assert context.status.unreachable == {"ratings": "refused"}
    assert set(context.status.served) == {"titles", "ratings"}

    # A subgraph that leaves is dropped.
    registry.down = set()
    del registry.sdl["ratings"]
    assert await service.compose_once(context=context)
    assert context.supergraph.read_text() == "# titles"
    assert context.status.broken == {} and list(context.status.served) == ["titles"]


async def test_a_subgraph_whose_instances_are_gone_stays_a_while_then_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, composer = Registry(), FakeComposer()
    context = router_context(tmp_path, registry, composer)
    context.keep_absent_s = 60
    clock = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: clock[0])
    registry.sdl = {"titles": "t1", "ratings": "r1"}
    assert await service.compose_once(context=context)
    # Every ratings instance stops: the page's queries still validate, and
    # its part answers with an error naming it, until it is back or has
    # been gone for keep_absent_s.
    del registry.sdl["ratings"]
    assert not await service.compose_once(context=context)
    assert context.supergraph.read_text() == "# ratings,titles"
    assert context.status.unreachable == {"ratings": "no instance is registered"}
    clock[0] += 59
    assert not await service.compose_once(context=context)
    registry.sdl["ratings"] = "r1"  # back in time: nothing to compose
    assert not await service.compose_once(context=context)
    assert context.absent_since == {}
    del registry.sdl["ratings"]
    assert not await service.compose_once(context=context)
    clock[0] += 61
    assert await service.compose_once(context=context)
    assert context.supergraph.read_text() == "# titles"


async def test_hive_gateway_is_told_the_headers_and_reports_its_port(tmp_path: Path) -> None:
    gateway = HiveGateway(
        node="node",
        package=tmp_path,
        supergraph=tmp_path / "s.graphql",
        port=0,
        headers=PROPAGATED_HEADERS,
        upstream_timeout_s=2.5,
    )
    argv = gateway.argv()
    assert argv[argv.index("--host") + 1] == "127.0.0.1"  # never on a public address
    assert argv[argv.index("--headers") + 1].split(",") == list(PROPAGATED_HEADERS)
    assert argv[argv.index("--upstream-timeout-ms") + 1] == "2500"
    assert await gateway.ready() == "no supergraph composed yet"
    gateway._line(b'{"level":"info","msg":"listening","host":"127.0.0.1","port":40123}\n')
    assert gateway.url == "http://127.0.0.1:40123"
    gateway._line(b"not json at all\n")  # logged, not fatal
    assert "authorization" not in PROPAGATED_HEADERS and "cookie" not in PROPAGATED_HEADERS
