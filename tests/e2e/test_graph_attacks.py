"""Bad input on the federated graph, through the gateway's ``/graphql``.

Three attacks, one cluster: viewer B sends viewer A's ids to every field of
the composed schema that takes an id (the walk reads the supergraph the
router serves, so a field added later is walked too, or the test fails until
it is mapped); a kids profile asks every field that returns titles or series
for an adult title; and malformed requests get GraphQL errors naming the
problem, never a 5xx. docs/security.md ("GraphQL: the schema walk") says why.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import graphql
import httpx
import pytest

from reelstack.media.models import TitleMeta
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.support.published import publish_ready
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
KIDS_FILM = "sunny"
ADULT_FILM = "night"
# title id -> (name, rating, genre, series, season, episode)
TITLES: dict[str, tuple[str, str, str, str | None, int | None, int | None]] = {
    KIDS_FILM: ("Sunny Meadow", "G", "Family", None, None, None),
    ADULT_FILM: ("Night Knives", "TV-MA", "Noir", None, None, None),
    "owl-1": ("Owl Tales: Hello", "G", "Family", "Owl Tales", 1, 1),
    "owl-2": ("Owl Tales: The Dark Wood", "TV-MA", "Family", "Owl Tales", 1, 2),
    "vice-1": ("Vice Row: Pilot", "TV-MA", "Noir", "Vice Row", 1, 1),
}
MATURE = (ADULT_FILM, "owl-2", "vice-1")
NOT_FOUND = re.compile(r"not found|no such", re.IGNORECASE)

OWNED = ("profile", "play")
"""Id kinds naming an object that belongs to one account or profile: another's is not found.

A profile belongs to its account (any profile of it may manage the others,
as Netflix's do); a play belongs to its profile, so a sibling profile is
refused it too.

The other kinds name shared things (``title``: a title id picks the caller's
own list entry, thumb, history row or play of it) or a name the client
chooses within its own account (``device``): another account's value names
the caller's own, and the test checks that A's state is untouched.
"""

WALK: dict[str, dict[str, str]] = {
    "Query.title": {"id": "title"},
    "Query.titles": {"ids": "title"},
    "Query.series": {"id": "series"},
    "Mutation.addToMyList": {"titleId": "title"},
    "Mutation.removeFromMyList": {"titleId": "title"},
    "Mutation.rateTitle": {"titleId": "title"},
    "Mutation.removeFromHistory": {"titleId": "title"},
    "Mutation.startPlay": {"titleId": "title", "device.id": "device"},
    # Before stopPlay: B's own play must still run when B beats for it.
    "Mutation.heartbeat": {"playId": "play"},
    "Mutation.stopPlay": {"playId": "play"},
    "Mutation.saveBookmark": {"titleId": "title"},
    "Mutation.renameProfile": {"profileId": "profile"},
    "Mutation.deleteProfile": {"profileId": "profile"},
}
"""Each Query and Mutation field taking an id: its id arguments (dotted into inputs), kinds."""


@dataclass
class Viewer:
    """A signed-in viewer: headers carrying a token for one of its profiles."""

    headers: dict[str, str]
    profile: str


@dataclass
class World:
    """The module's cluster and the viewers the tests share."""

    cluster: Cluster
    client: httpx.Client
    ann: Viewer
    bob: Viewer
    kid: Viewer

    def post(self, payload: Any, viewer: Viewer | None = None, **kw: Any) -> httpx.Response:
        """POST ``payload`` (JSON unless ``content`` is given) to /graphql."""
        headers = dict(viewer.headers if viewer else {})
        if "content" in kw:
            headers["content-type"] = "application/json"
            return self.client.post("/graphql", headers=headers, **kw)
        return self.client.post("/graphql", json=payload, headers=headers)

    def graph(self, query: str, viewer: Viewer, **variables: Any) -> dict[str, Any]:
        """Run one operation; a 5xx fails the test, a 503 while composing is waited out."""
        answer = wait_until(
            lambda: self.post({"query": query, "variables": variables}, viewer),
            "the router serving",
            done=lambda r: r.status_code != 503,
        )
        assert answer.status_code < 500, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def data(self, query: str, viewer: Viewer, **variables: Any) -> dict[str, Any]:
        """Run one operation that must succeed; return its data."""
        body = self.graph(query, viewer, **variables)
        assert "errors" not in body, body
        found: dict[str, Any] = body["data"]
        return found


async def _publish(cluster: Cluster) -> None:
    """Ready titles as media's pipeline leaves them (no encode is run)."""
    await publish_ready(
        {**cluster.env, "REELSTACK_HOME": str(cluster.home)},
        {
            title_id: TitleMeta(
                name=name,
                genres=(genre,),
                maturity_rating=rating,
                series=series,
                season=season,
                episode=episode,
            )
            for title_id, (name, rating, genre, series, season, episode) in TITLES.items()
        },
    )


def _sign_in(client: httpx.Client, email: str) -> dict[str, str]:
    tokens: dict[str, str] = client.post(
        "/api/identity/sessions", json={"email": email, "password": PASSWORD}
    ).json()
    return tokens


def _sign_up(client: httpx.Client, email: str) -> Viewer:
    """Make an account; return its account-only sign-in (no profile yet)."""
    made = wait_until(
        lambda: client.post("/api/identity/accounts", json={"email": email, "password": PASSWORD}),
        "sign-up through the gateway",
        done=lambda r: r.status_code != 503,
    )
    assert made.status_code == 201, made.text
    return Viewer({"Authorization": f"Bearer {_sign_in(client, email)['access_token']}"}, "")


def _enter(client: httpx.Client, email: str, profile: str) -> Viewer:
    """Sign in anew and enter ``profile`` (a refresh token is good for one refresh)."""
    entered = client.post(
        "/api/identity/sessions/refresh",
        json={"refresh_token": _sign_in(client, email)["refresh_token"], "profile_id": profile},
    )
    assert entered.status_code == 200, entered.text
    return Viewer({"Authorization": f"Bearer {entered.json()['access_token']}"}, profile)


CREATE = "mutation($p: ProfileInput!) { createProfile(profile: $p) { id } }"
START = """mutation($t: ID!, $d: String!) {
  startPlay(titleId: $t, device: {id: $d, name: "TV"}) { id } }"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A one-instance cluster with the titles published and Ann, Bob and Ann's kid signed in."""
    cluster = Cluster(tmp_path_factory.mktemp("attacks") / "home")
    cluster.env.update(
        REELSTACK_CLUSTER_INSTANCES="1",
        REELSTACK_MEDIA_ANNOUNCE_S="1",
        REELSTACK_RECOMMENDATIONS_BUILD_S="1",
        REELSTACK_ROUTER_POLL_S="1",
    )
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        cluster.wait_all_up(within_s=UP_TIMEOUT_S)
        asyncio.run(_publish(cluster))
        gateway = f"http://127.0.0.1:{cluster.by_id()['gateway-a-1']['port']}"
        with httpx.Client(base_url=gateway, timeout=60) as client:
            bare = {name: _sign_up(client, f"{name}@example.com") for name in ("ann", "bob")}
            world = World(cluster, client, bare["ann"], bare["bob"], bare["ann"])

            def profile(name: str, viewer: Viewer, **extra: Any) -> str:
                made = wait_until(
                    lambda: world.graph(CREATE, viewer, p={"name": name, **extra}),
                    "the router serving identity's part",
                    done=lambda body: (body.get("data") or {}).get("createProfile"),
                )
                found: str = made["data"]["createProfile"]["id"]
                return found

            ann, bob = "ann@example.com", "bob@example.com"
            world.ann = _enter(client, ann, profile("Ann", bare["ann"]))
            world.kid = _enter(client, ann, profile("Kid", bare["ann"], kids=True, maturity="kids"))
            world.bob = _enter(client, bob, profile("Bob", bare["bob"]))
            yield world
    finally:
        cluster.destroy()


def _started(world: World, viewer: Viewer, title_id: str, device: str) -> str:
    """Start a play (waiting for the catalog to hear of the title); return its id."""
    body = wait_until(
        lambda: world.graph(START, viewer, t=title_id, d=device),
        f"a play of {title_id}",
        done=lambda body: (body.get("data") or {}).get("startPlay"),
    )
    found: str = body["data"]["startPlay"]["id"]
    return found


def _beat(world: World, viewer: Viewer, title_id: str, position_s: float, **more: Any) -> None:
    beat = world.client.put(
        f"/api/history/profiles/{viewer.profile}/bookmarks/{title_id}",
        json={
            "position_s": position_s,
            "duration_s": 600.0,
            "device": "tv",
            "watched_at": "2026-12-07T00:00:00Z",
            **more,
        },
        headers=viewer.headers,
    )
    assert beat.status_code == 200, beat.text


# The schema walk ------------------------------------------------------------


def _supergraph(world: World) -> graphql.DocumentNode:
    files = sorted(world.cluster.home.rglob("supergraph.graphql"))
    assert files, "the router wrote no supergraph"
    return graphql.parse(files[0].read_text())


def _named(node: graphql.TypeNode) -> str:
    while not isinstance(node, graphql.NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return node.name.value


def _is_id(name: str, type_name: str) -> bool:
    # ID-typed, or a string the client names as an id (``device: {id: ...}``).
    return type_name == "ID" or (type_name == "String" and (name == "id" or name.endswith("Id")))


class Schema:
    """The supergraph's root fields, inputs, enums and object types, read from its SDL."""

    def __init__(self, document: graphql.DocumentNode) -> None:
        self.fields: dict[str, graphql.FieldDefinitionNode] = {}
        self.inputs: dict[str, list[graphql.InputValueDefinitionNode]] = {}
        self.enums: dict[str, list[str]] = {}
        self.objects: set[str] = set()
        for node in document.definitions:
            if isinstance(node, graphql.ObjectTypeDefinitionNode | graphql.ObjectTypeExtensionNode):
                self.objects.add(node.name.value)
                if node.name.value in ("Query", "Mutation"):
                    for each in node.fields or ():
                        self.fields[f"{node.name.value}.{each.name.value}"] = each
            elif isinstance(
                node, graphql.InterfaceTypeDefinitionNode | graphql.UnionTypeDefinitionNode
            ):
                self.objects.add(node.name.value)
            elif isinstance(node, graphql.InputObjectTypeDefinitionNode):
                self.inputs[node.name.value] = list(node.fields or ())
            elif isinstance(node, graphql.EnumTypeDefinitionNode):
                self.enums[node.name.value] = [v.name.value for v in node.values or ()]

    def id_paths(self, field: graphql.FieldDefinitionNode) -> set[str]:
        """The dotted paths of ``field``'s arguments that carry an id."""
        found: set[str] = set()

        def visit(path: str, name: str, node: graphql.TypeNode, depth: int) -> None:
            type_name = _named(node)
            if _is_id(name, type_name):
                found.add(path)
            elif type_name in self.inputs and depth < 5:
                for inner in self.inputs[type_name]:
                    visit(f"{path}.{inner.name.value}", inner.name.value, inner.type, depth + 1)

        for arg in field.arguments or ():
            visit(arg.name.value, arg.name.value, arg.type, 0)
        return found

    def value(self, path: str, node: graphql.TypeNode, ids: dict[str, Any]) -> Any:
        """A value of ``node``'s type: ``ids[path]`` where given, else a harmless one."""
        if path in ids:
            wanted = ids[path]
            listed = isinstance(node, graphql.NonNullTypeNode) and isinstance(
                node.type, graphql.ListTypeNode
            )
            return [wanted] if listed or isinstance(node, graphql.ListTypeNode) else wanted
        if isinstance(node, graphql.NonNullTypeNode):
            return self.value(path, node.type, ids)
        if isinstance(node, graphql.ListTypeNode):
            return [self.value(path, node.type, ids)]
        type_name = _named(node)
        if type_name in self.inputs:
            return {
                inner.name.value: self.value(f"{path}.{inner.name.value}", inner.type, ids)
                for inner in self.inputs[type_name]
                if isinstance(inner.type, graphql.NonNullTypeNode)
            }
        if type_name in self.enums:
            return self.enums[type_name][0]
        fillers: dict[str, Any] = {"String": "walk", "Int": 1, "Float": 1.0, "Boolean": True}
        return fillers.get(type_name, "walk")

    def operation(self, key: str, ids: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """An operation calling the root field ``key`` with every argument as a variable."""
        root, name = key.split(".")
        field = self.fields[key]
        args = list(field.arguments or ())
        declared = ", ".join(f"${a.name.value}: {graphql.print_ast(a.type)}" for a in args)
        passed = ", ".join(f"{a.name.value}: ${a.name.value}" for a in args)
        selection = " { __typename }" if _named(field.type) in self.objects else ""
        text = f"{root.lower()} Walk({declared}) {{ {name}({passed}){selection} }}"
        variables = {a.name.value: self.value(a.name.value, a.type, ids) for a in args}
        return text, variables


def _state(world: World, viewer: Viewer) -> dict[str, Any]:
    """What an attack on A could change: profiles, plays, list, thumb, progress."""
    return world.data(
        """{ me { profiles { id name } } activeDevices { deviceId title { id } }
             myList { id } title(id: "sunny") { thumb progress { positionS } }
             continueWatching { title { id } } }""",
        viewer,
    )


def test_another_accounts_ids_are_refused_on_every_field(world: World) -> None:
    ann, bob = world.ann, world.bob
    _started(world, ann, ADULT_FILM, "tv-ann")
    play = _started(world, ann, KIDS_FILM, "tv-ann")
    world.data('mutation { addToMyList(titleId: "sunny") }', ann)
    world.data('mutation { rateTitle(titleId: "sunny", thumb: UP) }', ann)
    _beat(world, ann, KIDS_FILM, 120.0)
    before = _state(world, ann)
    assert before["activeDevices"] == [{"deviceId": "tv-ann", "title": {"id": KIDS_FILM}}]
    assert before["myList"] == [{"id": KIDS_FILM}]

    schema = Schema(_supergraph(world))
    walked = {key: schema.id_paths(f) for key, f in schema.fields.items() if schema.id_paths(f)}
    assert walked == {key: set(kinds) for key, kinds in WALK.items()}, (
        "a root field's id arguments differ from WALK: map each new one to its kind"
    )
    series = world.data('{ title(id: "owl-1") { series { id } } }', ann)["title"]["series"]["id"]
    of_ann: dict[str, str] = {
        "title": KIDS_FILM,
        "series": series,
        "device": "tv-ann",
        "play": play,
        "profile": ann.profile,
    }
    unknown = {kind for kinds in WALK.values() for kind in kinds.values()} - set(of_ann)
    assert not unknown, f"id kinds with no value of A's to send: {unknown}"
    # B's own objects of the owned kinds: the same calls with them must work, so
    # a refusal above is the ownership check, not a field broken for everyone.
    spare = world.data(CREATE, bob, p={"name": "Spare"})["createProfile"]["id"]
    of_bob = of_ann | {"play": _started(world, bob, KIDS_FILM, "tv-bob"), "profile": spare}

    def call(key: str, kinds: dict[str, str], ids: dict[str, str], who: Viewer) -> Any:
        text, variables = schema.operation(key, {p: ids[k] for p, k in kinds.items()})
        answer = world.post({"query": text, "variables": variables}, who)
        assert answer.status_code < 500, (key, answer.text)
        assert "Ann" not in answer.text, (key, answer.text)
        return answer.json()

    for key, kinds in WALK.items():
        owned = set(kinds.values()) & set(OWNED)
        attackers = [bob] + ([world.kid] if "play" in owned else [])
        for attacker in attackers:
            body = call(key, kinds, of_ann, attacker)
            if owned:
                errors = body.get("errors") or []
                assert any(NOT_FOUND.search(e.get("message", "")) for e in errors), (key, body)
                assert (body.get("data") or {}).get(key.split(".")[1]) is None, (key, body)
        if owned:
            mine = call(key, kinds, of_bob, bob)
            assert "errors" not in mine, (key, mine)

    assert _state(world, ann) == before


# A kids profile and mature titles --------------------------------------------


def test_a_kids_profile_never_receives_a_mature_title(world: World) -> None:
    kid, ann = world.kid, world.ann
    series = {
        name: world.data(f'{{ title(id: "{first}") {{ series {{ id }} }} }}', ann)["title"][
            "series"
        ]["id"]
        for name, first in (("owl", "owl-1"), ("vice", "vice-1"))
    }
    for title_id in TITLES:
        _started(world, ann, title_id, "tv-ann")  # every title trending
    answers: list[dict[str, Any]] = []

    def asked(query: str, **variables: Any) -> dict[str, Any]:
        body = world.graph(query, kid, **variables)
        answers.append(body)
        return body

    # Every attempt to take the mature titles in is refused or ignored.
    started = asked(START, t=ADULT_FILM, d="tablet")
    assert started.get("errors") and not (started.get("data") or {}).get("startPlay"), started
    asked('mutation { addToMyList(titleId: "night") }')
    world.data('mutation { addToMyList(titleId: "sunny") }', kid)
    _beat(world, kid, KIDS_FILM, 100.0)
    # A heartbeat names what the player plays; a kids profile's player sent one for a
    # mature title (an old device, a crafted request): it must not come back in a list.
    world.client.put(
        f"/api/history/profiles/{kid.profile}/bookmarks/{ADULT_FILM}",
        json={
            "position_s": 100.0,
            "duration_s": 600.0,
            "device": "tv",
            "watched_at": "2026-12-07T00:00:00Z",
        },
        headers=kid.headers,
    )
    _beat(world, kid, "owl-1", 590.0, series_id=series["owl"], season=1, episode=1)
    # Nor can it make an adult profile to enter (one without a PIN, or itself raised).
    for mutation in (
        'createProfile(profile: {name: "Grown-up"}) { id }',
        f'renameProfile(profileId: "{ann.profile}", name: "Boss") {{ id }}',
        f'deleteProfile(profileId: "{ann.profile}")',
    ):
        refused = world.graph(f"mutation {{ {mutation} }}", kid)
        assert "cannot manage profiles" in json.dumps(refused.get("errors")), refused
    raised = world.client.patch(
        f"/api/identity/profiles/{kid.profile}",
        json={"kids": False, "maturity": "adults"},
        headers=kid.headers,
    )
    assert raised.status_code == 403, raised.text
    profiles = world.data("{ me { profiles { name maturity } } }", ann)["me"]["profiles"]
    assert profiles == [{"name": "Ann", "maturity": "adults"}, {"name": "Kid", "maturity": "kids"}]

    home = wait_until(
        lambda: asked(
            "{ home { rows { id items { title { id } series { id } } } errors { part } } }"
        ),
        "the kids profile's home page with its rows",
        done=lambda body: KIDS_FILM in json.dumps(body.get("data")),
    )
    assert home["data"]["home"]["rows"], home
    asked('{ search(query: "Night Knives") { id } }')
    asked('{ search(query: "Vice Row") { id series { id } } }')
    asked('{ search(query: "Owl Tales") { id nextEpisode { id } } }')
    asked("{ browse(limit: 100) { total items { id } } }")
    asked('{ browse(genre: "Noir") { total items { id } } }')
    genres = asked("{ genres { name count } }")
    assert "Noir" not in json.dumps(genres), genres
    assert asked('{ title(id: "night") { id name } }')["data"]["title"] is None
    asked('{ titles(ids: ["night", "owl-2", "vice-1", "sunny"]) { id } }')
    asked(f'{{ series(id: "{series["vice"]}") {{ id name seasons {{ episodes {{ id }} }} }} }}')
    owl = asked(
        f'{{ series(id: "{series["owl"]}") '
        "{ seasons { episodes { id nextEpisode { id } } } } }"
    )
    assert "owl-1" in json.dumps(owl), owl
    assert asked("{ myList { id } }")["data"]["myList"] == [{"id": KIDS_FILM}]
    asked("{ continueWatching { title { id } progress { positionS } } }")
    asked("{ viewingHistory { items { title { id } } } }")
    asked("{ nextUp { title { id } after { title { id } } } }")
    asked('{ title(id: "owl-1") { id nextEpisode { id } series { id } } }')

    for body in answers:
        # Only what was answered: a refusal may quote the id the profile sent.
        text = json.dumps(body.get("data"))
        for title_id in (*MATURE, series["vice"]):
            assert f'"{title_id}"' not in text, (title_id, body)
            assert TITLES.get(title_id, ("\0",))[0] not in text, (title_id, body)


# Malformed requests -------------------------------------------------------------

TITLE_BY = "query($t: ID!) { title(id: $t) { id } }"
SEARCH = "query($q: String!) { search(query: $q) { id } }"
BROWSE = "query($n: Int) { browse(limit: $n) { total } }"

MALFORMED: dict[str, tuple[Any, str]] = {
    "syntax": ({"query": "{ me { email }"}, r"Syntax Error"),
    "unknown field": ({"query": "{ nope }"}, r'Cannot query field "nope"'),
    "wrong variable type": (
        {"query": BROWSE, "variables": {"n": "many"}},
        r'Variable "\$n" got invalid value',
    ),
    "object for a string": (
        {"query": SEARCH, "variables": {"q": {"a": 1}}},
        r'Variable "\$q" got invalid value',
    ),
    # Within the gateway's body limit (64 KiB); the field's own limit names the problem.
    "huge string": ({"query": SEARCH, "variables": {"q": "x" * 60_000}}, r"query is 1 to 100"),
    "null for non-null": ({"query": TITLE_BY, "variables": {"t": None}}, r"must not be null"),
    "batch": ([{"query": "{ genres { name } }"}] * 2, r"Batching is not supported"),
    "query as a number": ({"query": 42}, r'"query" param to be a string'),
    "no query": ({"variables": {}}, r"send a query"),
    "variables as a string": ({"query": TITLE_BY, "variables": "t=1"}, r'"variables" param'),
}
RAW: dict[str, tuple[bytes, str]] = {
    "empty body": (b"", r"invalid JSON"),
    "not JSON": (b"{query: me", r"invalid JSON"),
}


@pytest.mark.parametrize("case", [*MALFORMED, *RAW])
def test_malformed_requests_get_graphql_errors(world: World, case: str) -> None:
    if case in RAW:
        content, named = RAW[case]
        answer = world.post(None, world.bob, content=content)
    else:
        payload, named = MALFORMED[case]
        answer = world.post(payload, world.bob)
    assert answer.status_code < 500, answer.text
    body = answer.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    assert errors, body
    said = " ".join(f"{e.get('message')} {(e.get('extensions') or {}).get('code')}" for e in errors)
    assert re.search(named, said, re.IGNORECASE), (case, body)


def test_a_body_over_the_limit_is_refused_naming_it(world: World) -> None:
    answer = world.post({"query": SEARCH, "variables": {"q": "x" * 100_000}}, world.bob)
    assert answer.status_code == 413, answer.text
    assert "limit" in answer.json()["detail"]
