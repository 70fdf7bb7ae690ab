"""A service's typed context: built at start-up, kept on the chassis, given to routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.route_deps import context_dep
from reelstack.chassis.state import Chassis
from reelstack.config import Config
from tests.unit.chassis.conftest import started


@dataclass
class Shelf:
    """A service's context: what its routes share."""

    owner: str
    items: list[str]


@dataclass
class Other:
    """Some other service's context."""


ShelfDep = Annotated[Shelf, Depends(context_dep(Shelf))]

router = APIRouter()


@router.post("/items/{item}")
async def add(item: str, shelf: ShelfDep) -> dict[str, object]:
    shelf.items.append(item)
    return {"owner": shelf.owner, "items": shelf.items}


async def build_shelf(chassis: Chassis) -> Shelf:
    return Shelf(owner=chassis.identity.instance, items=[])


async def test_routes_get_the_context_built_at_start_up(
    make_config: Callable[..., Config],
) -> None:
    app = create_service_app(
        make_config(), routers=[router], context=build_shelf, poll_properties=False
    )
    chassis = chassis_of(app)
    async for client in started(app):
        first = await client.post("/items/a")
        second = await client.post("/items/b")
        assert chassis.context_as(Shelf).items == ["a", "b"]
    assert first.json() == {"owner": "hello-b-18199", "items": ["a"]}
    assert second.json() == {"owner": "hello-b-18199", "items": ["a", "b"]}


async def test_hooks_run_after_the_context_is_built(make_config: Callable[..., Config]) -> None:
    seen: list[str] = []

    async def hook(chassis: Chassis) -> None:
        seen.append(chassis.context_as(Shelf).owner)

    app = create_service_app(
        make_config(), context=build_shelf, on_startup=[hook], poll_properties=False
    )
    async for _client in started(app):
        pass
    assert seen == ["hello-b-18199"]


def test_the_dependency_for_a_type_is_one_function() -> None:
    # FastAPI resolves a dependency once per request by identity: every
    # alias for the same context type must share the getter.
    assert context_dep(Shelf) is context_dep(Shelf)
    assert context_dep(Shelf) is not context_dep(Other)


async def test_asking_for_another_type_names_both(make_config: Callable[..., Config]) -> None:
    app = create_service_app(make_config(), context=build_shelf, poll_properties=False)
    chassis = chassis_of(app)
    async for _client in started(app):
        with pytest.raises(RuntimeError, match=r"no context of type Other.*Shelf"):
            chassis.context_as(Other)


def test_without_a_context_the_chassis_is_the_context(make_config: Callable[..., Config]) -> None:
    chassis = chassis_of(create_service_app(make_config(), poll_properties=False))
    assert chassis.context_as(Chassis) is chassis
    with pytest.raises(RuntimeError, match="no context of type Shelf"):
        chassis.context_as(Shelf)
