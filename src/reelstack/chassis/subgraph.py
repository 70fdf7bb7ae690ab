"""Serve a service's federation subgraph next to its REST API.

A service whose app is built by :func:`reelstack.chassis.create_service_app`
becomes a subgraph of the federated graph with one call::

    schema = subgraph_schema(query=Query, types=[...])
    app = create_service_app(config, spec=SPEC, routers=[...])
    serve_subgraph(app, schema)

The GraphQL endpoint is mounted on the same app (``/graphql`` unless told
otherwise), and its path is put in the instance's registry metadata under
:data:`SUBGRAPH_METADATA`. That key is the whole declaration: the router
(``reelstack.router``) composes every service whose UP instances carry it,
fetching the SDL from ``<instance>/<path>`` with ``{ _service { sdl } }``.
Resolvers read the gateway's identity headers from ``info.context["request"]``
as REST routes do; the router passes them through (docs/adr/0019).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeVar

from fastapi import FastAPI
from graphql import GraphQLError
from pydantic import BaseModel, ValidationError
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.types import Info

from reelstack.chassis.app import chassis_of
from reelstack.chassis.eureka import EurekaClient
from reelstack.errors import InvalidRequestError, ReelstackError

SUBGRAPH_METADATA = "graphql.path"
"""Registry metadata key naming the path of an instance's subgraph endpoint."""

DEFAULT_PATH = "/graphql"

FEDERATION_VERSION: Final = "2.9"
"""The federation version subgraphs declare: the newest the router's composition knows.

Strawberry declares 2.11 by default; ``@theguild/federation-composition``
0.27 (router/package.json) refuses anything past 2.9 with
UNKNOWN_FEDERATION_LINK_VERSION. Raise both together.
"""


def _version(declared: object) -> tuple[int, ...]:
    # Strawberry keeps the version as given ("2.9") or parsed ((2, 9)).
    parts = declared if isinstance(declared, tuple) else str(declared).split(".")
    return tuple(int(part) for part in parts)


M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], data: dict[str, Any]) -> M:
    """Validate a mutation's input with the REST body's own model: the same refusals.

    Refused input is an :class:`InvalidRequestError` naming each field and why.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidRequestError(problems) from None


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, ReelstackError | GraphQLError)


def _masking() -> MaskErrors:
    return MaskErrors(should_mask_error=_unexpected)


DOCUMENT_CACHE = 256
"""Parsed and validated documents a subgraph keeps (bounded: query texts come from callers)."""


def _parser_cache() -> ParserCache:
    return ParserCache(maxsize=DOCUMENT_CACHE)


def _validation_cache() -> ValidationCache:
    return ValidationCache(maxsize=DOCUMENT_CACHE)


class _BatchingSchema(Schema):
    """A federation schema resolving each entity type's references in one call.

    Strawberry calls ``resolve_reference`` once per representation: for a
    page's few dozen titles, a coroutine, a task and a DataLoader round each
    (about a third of catalog's CPU per ``_entities`` fetch). A type that
    defines ``resolve_references(info, ids)`` (a classmethod taking the
    representations' ``id`` keys in order and returning one entity or None
    for each) gets them all at once; other types resolve as before.
    """

    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        results: list[Any] = [None] * len(representations)
        batched: dict[Any, list[tuple[int, Any]]] = {}
        rest: list[tuple[int, Any]] = []
        for index, representation in enumerate(representations):
            given: Any = representation
            type_ = self.schema_converter.type_map.get(given.get("__typename"))
            origin = None if type_ is None else getattr(type_.definition, "origin", None)
            if origin is not None and hasattr(origin, "resolve_references") and "id" in given:
                batched.setdefault(origin, []).append((index, given["id"]))
            else:
                rest.append((index, representation))
        if rest:
            plain = super().entities_resolver(info, [r for _, r in rest])
            for (index, _), result in zip(rest, plain, strict=True):
                results[index] = await result if inspect.isawaitable(result) else result
        for origin, wanted in batched.items():
            try:
                found = await origin.resolve_references(info, [key for _, key in wanted])
            except Exception as exc:  # noqa: BLE001 (each entity's error, as Strawberry's own)
                found = [exc] * len(wanted)
            for (index, _), result in zip(wanted, found, strict=True):
                results[index] = result
        return results


def subgraph_schema(
    *,
    query: type,
    mutation: type | None = None,
    types: Iterable[type] = (),
    extensions: Sequence[Any] = (),
) -> Schema:
    """Return a federation schema declaring :data:`FEDERATION_VERSION`.

    Errors a resolver raises on purpose (:class:`ReelstackError`: not found,
    invalid, conflict, unavailable) reach the caller with their message;
    any other exception is masked ("Unexpected error."), as REST answers a
    bare 500: a database's message or a path never leaves the service. The
    full error is still logged by Strawberry.

    Parsed and validated documents are kept (LRU, :data:`DOCUMENT_CACHE`
    entries): the router sends each subgraph the same few query texts with
    new variables, and validating one again cost a catalog page about 13 ms
    of CPU, more than resolving it.
    """
    return _BatchingSchema(
        query=query,
        mutation=mutation,
        types=types,
        extensions=[_masking, _parser_cache, _validation_cache, *extensions],
        federation_version=FEDERATION_VERSION,
    )


def serve_subgraph(app: FastAPI, schema: Schema, *, path: str = DEFAULT_PATH) -> None:
    """Mount ``schema`` at ``path`` on ``app`` and announce it in the registry metadata.

    Call it before the app starts (its registration carries the metadata).
    Queries only by POST (no GET: a subgraph is called by the router, never
    by a browser; a GET is answered 405) and no IDE page.

    Strawberry's ASGI app on a plain Starlette route, not its FastAPI router:
    the router's context and root-value dependencies were solved by FastAPI
    on every call (and its default context getter ran in a worker thread),
    about a third of a bare subgraph call's CPU (``bench/bench_subgraph.py``:
    ``{ __typename }`` 0.85-0.98 -> 0.61-0.75 ms), paid several times per
    home page. Resolvers read ``info.context["request"]`` as before.
    """
    declared = _version(schema.federation_version)
    if declared > _version(FEDERATION_VERSION):
        version = ".".join(map(str, declared))
        raise ValueError(
            f"the schema declares federation {version}; the router composes up to"
            f" {FEDERATION_VERSION} (build it with subgraph_schema)"
        )
    if not path.startswith("/") or path.endswith("/"):
        raise ValueError(f"subgraph path {path!r} must start with / and not end with one")
    endpoint = GraphQL[dict[str, object], None](
        schema, graphql_ide=None, allow_queries_via_get=False
    )
    # First among the app's routes: a route is found by trying each in turn,
    # and the subgraph is what the router calls most (a few times per page).
    app.router.routes.insert(0, Route(path, endpoint, methods=["POST"], include_in_schema=False))
    discovery = chassis_of(app).discovery
    if isinstance(discovery, EurekaClient):
        discovery.metadata[SUBGRAPH_METADATA] = path
