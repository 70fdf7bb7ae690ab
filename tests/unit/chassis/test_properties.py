"""Runtime properties: the shared store and the poller that applies it live."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from reelstack.chassis.app import create_service_app
from reelstack.chassis.properties import GLOBAL, PropertyPoller, PropertyStore
from reelstack.config import Config
from reelstack.errors import ConfigError, StoreCorruptError
from reelstack.hello import settings as hello_settings
from tests.support.wait import eventually
from tests.unit.chassis.conftest import started


@pytest.fixture
def store(tmp_path: Path) -> PropertyStore:
    return PropertyStore(tmp_path / "data" / "properties.db")


def test_service_value_beats_global(store: PropertyStore) -> None:
    store.set("hello.greeting", "hi")
    store.set("hello.greeting", "howdy", service="hello")
    assert store.values_for("hello") == {"hello.greeting": "howdy"}
    assert store.values_for("catalog") == {"hello.greeting": "hi"}
    assert store.unset("hello.greeting", service="hello")
    assert store.values_for("hello") == {"hello.greeting": "hi"}
    assert not store.unset("hello.greeting", service="hello")
    assert [(s, k, v) for s, k, v, _ in store.all()] == [(GLOBAL, "hello.greeting", "hi")]


def test_invalid_or_start_only_values_are_refused(store: PropertyStore) -> None:
    with pytest.raises(ConfigError) as bad_value:
        store.set("logging.level", "LOUD")
    assert bad_value.value.key == "logging.level"
    with pytest.raises(ConfigError):
        store.set("service.port", "9000")
    with pytest.raises(ConfigError):
        store.set("no.such.key", "1")
    assert store.all() == []


def test_corrupt_store_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "properties.db"
    path.write_bytes(b"this is not a database file at all" * 100)
    with pytest.raises(StoreCorruptError) as info:
        PropertyStore(path).values_for("hello")
    assert info.value.path == str(path)


async def test_poll_applies_changes_and_reverts_on_unset(
    store: PropertyStore, make_config: Callable[..., Config]
) -> None:
    config = make_config()
    greeting = config.property(hello_settings.HELLO_GREETING)
    poller = PropertyPoller(store, config, "hello", interval_s=60)
    assert greeting() == "hello"
    store.set("hello.greeting", "hola", service="hello")
    assert await poller.poll_once() == ["hello.greeting"]
    assert greeting() == "hola"
    assert config.resolved(hello_settings.HELLO_GREETING).source == "runtime"
    assert await poller.poll_once() == []
    store.unset("hello.greeting", service="hello")
    await poller.poll_once()
    assert greeting() == "hello"


async def test_running_app_sees_a_changed_property_and_log_level(
    make_config: Callable[..., Config],
) -> None:
    config = make_config(**{"properties.poll_s": "0.05"})
    store = PropertyStore.for_config(config)
    app = create_service_app(config, service="hello")
    root = logging.getLogger()
    old_level = root.level
    try:
        async for _client in started(app):
            store.set("hello.greeting", "bonjour", service="hello")
            store.set("logging.level", "ERROR")
            await eventually(
                lambda: config.get(hello_settings.HELLO_GREETING) == "bonjour",
                "the poller to apply the change",
            )
            assert root.level == logging.ERROR
    finally:
        root.setLevel(old_level)
