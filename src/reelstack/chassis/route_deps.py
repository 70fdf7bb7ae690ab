"""What routes receive through ``Annotated[..., Depends(...)]``.

Use the aliases in route signatures::

    @router.get("/things")
    async def things(sql: SqlDep, config: ConfigDep, client: ClientDep) -> ...

An adapter whose engine is not reachable yet raises UnavailableError, which
the chassis answers with 503.

A service's own context (``create_service_app(context=...)``) is reached
through an alias the service declares once, next to its context type::

    CatalogDep = Annotated[CatalogContext, Depends(context_dep(CatalogContext))]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request

from reelstack.bootstrap import Adapters
from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.config import Config
from reelstack.ports import BlobStore, Cache, Database, EventLog, WideColumnStore

if TYPE_CHECKING:
    from reelstack.chassis.state import Chassis

C = TypeVar("C")


def chassis_for(request: Request) -> Chassis:
    """Return the chassis state of the app serving ``request``."""
    chassis: Chassis = request.app.state.chassis
    return chassis


# The getters are ``async def`` although they never wait: FastAPI runs a
# plain ``def`` dependency in a worker thread, which costs more than the
# whole rest of a small request.


async def get_chassis(request: Request) -> Chassis:
    return chassis_for(request)


async def get_config(request: Request) -> Config:
    return chassis_for(request).config


async def get_identity(request: Request) -> InstanceIdentity:
    return chassis_for(request).identity


async def get_adapters(request: Request) -> Adapters:
    return chassis_for(request).adapters


async def get_sql(request: Request) -> Database:
    adapter: Database = chassis_for(request).dependencies.get("sql")
    return adapter


async def get_cache(request: Request) -> Cache:
    adapter: Cache = chassis_for(request).dependencies.get("cache")
    return adapter


async def get_log(request: Request) -> EventLog:
    adapter: EventLog = chassis_for(request).dependencies.get("log")
    return adapter


async def get_blob(request: Request) -> BlobStore:
    adapter: BlobStore = chassis_for(request).dependencies.get("blob")
    return adapter


async def get_widecolumn(request: Request) -> WideColumnStore:
    adapter: WideColumnStore = chassis_for(request).dependencies.get("widecolumn")
    return adapter


async def get_client(request: Request) -> ResilientClient:
    return chassis_for(request).client()


# One getter per context type, so FastAPI sees the same dependency (and
# resolves it once per request) wherever a service's alias is used.
_CONTEXT_GETTERS: dict[type[Any], Callable[[Request], Awaitable[Any]]] = {}


def context_dep(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """Return the dependency that gives a route the service's context of type ``kind``.

    ``Annotated[Ctx, Depends(context_dep(Ctx))]`` is typed as ``Ctx``; the
    getter checks at run time that the app's context is one (RuntimeError,
    a 500, if the service builds another type).
    """
    getter = _CONTEXT_GETTERS.get(kind)
    if getter is None:

        async def get_context(request: Request) -> C:
            return chassis_for(request).context_as(kind)

        getter = _CONTEXT_GETTERS[kind] = get_context
    found: Callable[[Request], Awaitable[C]] = getter
    return found


ConfigDep = Annotated[Config, Depends(get_config)]
IdentityDep = Annotated[InstanceIdentity, Depends(get_identity)]
AdaptersDep = Annotated[Adapters, Depends(get_adapters)]
SqlDep = Annotated[Database, Depends(get_sql)]
CacheDep = Annotated[Cache, Depends(get_cache)]
LogDep = Annotated[EventLog, Depends(get_log)]
BlobDep = Annotated[BlobStore, Depends(get_blob)]
WideColumnDep = Annotated[WideColumnStore, Depends(get_widecolumn)]
ClientDep = Annotated[ResilientClient, Depends(get_client)]
"""The instance's resilient client: ``await client.request("catalog", "GET", "/titles/7")``."""
