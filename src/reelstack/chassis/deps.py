"""What routes receive through ``Annotated[..., Depends(...)]``.

Use the aliases in route signatures::

    @router.get("/things")
    async def things(sql: SqlDep, config: ConfigDep) -> ...

An adapter whose engine is not reachable yet raises UnavailableError, which
the chassis answers with 503.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from reelstack.bootstrap import Adapters
from reelstack.chassis.identity import Identity
from reelstack.config import Config
from reelstack.ports import BlobStore, Cache, Database, EventLog, WideColumnStore

if TYPE_CHECKING:
    from reelstack.chassis.state import Chassis


def get_chassis(request: Request) -> Chassis:
    """Return the chassis state of the app serving ``request``."""
    chassis: Chassis = request.app.state.chassis
    return chassis


def get_config(request: Request) -> Config:
    return get_chassis(request).config


def get_identity(request: Request) -> Identity:
    return get_chassis(request).identity


def get_adapters(request: Request) -> Adapters:
    return get_chassis(request).adapters


def get_sql(request: Request) -> Database:
    adapter: Database = get_chassis(request).dependencies.get("sql")
    return adapter


def get_cache(request: Request) -> Cache:
    adapter: Cache = get_chassis(request).dependencies.get("cache")
    return adapter


def get_log(request: Request) -> EventLog:
    adapter: EventLog = get_chassis(request).dependencies.get("log")
    return adapter


def get_blob(request: Request) -> BlobStore:
    adapter: BlobStore = get_chassis(request).dependencies.get("blob")
    return adapter


def get_widecolumn(request: Request) -> WideColumnStore:
    adapter: WideColumnStore = get_chassis(request).dependencies.get("widecolumn")
    return adapter


ConfigDep = Annotated[Config, Depends(get_config)]
IdentityDep = Annotated[Identity, Depends(get_identity)]
AdaptersDep = Annotated[Adapters, Depends(get_adapters)]
SqlDep = Annotated[Database, Depends(get_sql)]
CacheDep = Annotated[Cache, Depends(get_cache)]
LogDep = Annotated[EventLog, Depends(get_log)]
BlobDep = Annotated[BlobStore, Depends(get_blob)]
WideColumnDep = Annotated[WideColumnStore, Depends(get_widecolumn)]
