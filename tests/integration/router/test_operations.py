"""The web app's operations (web/src/graphql) against the supergraph the router would compose.

The five subgraphs' SDL, as each serves it to the router (``_service { sdl }``),
composed by the router's own composition (``router/compose.mjs``); then
every operation file is validated against that supergraph as Hive Gateway
would validate it, and kept within the router's default query limits.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    TokenKind,
    build_schema,
    parse,
    validate,
)
from graphql.language import Lexer, Source

from reelstack.router.compose import NodeComposer
from reelstack.router.hive import QueryLimits
from reelstack.router.models import Subgraph

ROOT = Path(__file__).resolve().parents[3]
OPERATIONS = ROOT / "web" / "src" / "graphql"
SUBGRAPHS = ("catalog", "history", "identity", "playback", "recommendations")
# What issue 12 lists for the web app, by operation name.
NEEDED = {
    "Home",
    "Title",
    "Search",
    "Profiles",
    "ContinueWatching",
    "MyList",
    "AddToMyList",
    "RemoveFromMyList",
    "RateTitle",
    "StartPlay",
    "StopPlay",
    "Account",
    "CreateProfile",
    "RenameProfile",
    "DeleteProfile",
    "ChangePlan",
}


def files() -> list[Path]:
    return sorted(OPERATIONS.glob("*.graphql"))


@pytest.fixture(scope="module")
def supergraph() -> GraphQLSchema:
    subgraphs = []
    for name in SUBGRAPHS:
        schema = importlib.import_module(f"reelstack.{name}.graphql").SCHEMA
        served = schema.execute_sync("{ _service { sdl } }")
        assert served.errors is None and served.data is not None, served.errors
        sdl = served.data["_service"]["sdl"]
        subgraphs.append(Subgraph(name, f"http://127.0.0.1/{name}/graphql", sdl))
    composer = NodeComposer(node="node", package=ROOT / "router", timeout_s=60)
    composed = asyncio.run(composer.compose(subgraphs))
    assert composed.supergraph is not None, composed.errors
    return build_schema(composed.supergraph)


def operation(document: DocumentNode) -> OperationDefinitionNode:
    (only,) = document.definitions
    assert isinstance(only, OperationDefinitionNode)
    return only


def depth(selections: SelectionSetNode | None) -> int:
    if selections is None:
        return 0
    return 1 + max(
        (depth(s.selection_set) for s in selections.selections if isinstance(s, FieldNode)),
        default=0,
    )


def tokens(text: str) -> int:
    lexer = Lexer(Source(text))
    count = 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def test_each_file_is_one_named_operation_and_the_app_has_all_it_needs() -> None:
    names = [operation(parse(path.read_text())).name for path in files()]
    assert all(name is not None for name in names)
    values = [name.value for name in names if name is not None]
    assert len(values) == len(set(values)), values
    assert set(values) >= NEEDED, NEEDED - set(values)


@pytest.mark.parametrize("path", files(), ids=lambda p: p.name)
def test_the_operation_validates_against_the_composed_graph_within_the_limits(
    supergraph: GraphQLSchema, path: Path
) -> None:
    text = path.read_text()
    document = parse(text)
    assert validate(supergraph, document) == []
    limits = QueryLimits()
    assert depth(operation(document).selection_set) <= limits.max_depth
    assert tokens(text) <= limits.max_tokens
