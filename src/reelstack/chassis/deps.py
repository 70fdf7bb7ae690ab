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


async def get_identity(request: Request) -> Identity:
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


ConfigDep = Annotated[Config, Depends(get_config)]
IdentityDep = Annotated[Identity, Depends(get_identity)]
AdaptersDep = Annotated[Adapters, Depends(get_adapters)]
SqlDep = Annotated[Database, Depends(get_sql)]
CacheDep = Annotated[Cache, Depends(get_cache)]
LogDep = Annotated[EventLog, Depends(get_log)]
BlobDep = Annotated[BlobStore, Depends(get_blob)]
WideColumnDep = Annotated[WideColumnStore, Depends(get_widecolumn)]
