"""What the fork server and the spares preload: the runtime, and only the adapters in use."""

from __future__ import annotations

from pathlib import Path

from reelstack import services, settings
from reelstack.chassis.spec import ServiceSpec
from reelstack.cluster import preload
from reelstack.config import Config


def _config(tmp_path: Path, **env: str) -> Config:
    return settings.load(environ={"REELSTACK_HOME": str(tmp_path), **env})


def _spec(name: str, *ports: str) -> ServiceSpec:
    return ServiceSpec(name=name, app=f"example.{name}.app:create_app", ports=ports)


def test_the_runtime_comes_first_then_the_adapters_of_the_ports_in_use(tmp_path: Path) -> None:
    config = _config(tmp_path)
    names = preload.modules([_spec("a", "cache", "sql"), _spec("b", "sql")], config)
    runtime = (*preload.RUNTIME, *preload.SERVER)
    assert names[: len(runtime)] == runtime
    # One adapter per port, in the order of PORTS, each once.
    assert names[len(runtime) :] == (
        "reelstack.adapters.sql.sqlalchemy",
        "reelstack.adapters.cache.sqlite",
    )


def test_the_adapter_is_the_one_the_settings_choose(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        REELSTACK_CACHE_URL="memcached://127.0.0.1:11211",
        REELSTACK_LOG_URL="kafka://127.0.0.1:9092",
    )
    names = preload.modules([_spec("a", "cache", "log")], config)
    assert "reelstack.adapters.cache.memcached" in names
    assert "reelstack.adapters.log.kafka" in names
    assert "reelstack.adapters.cache.sqlite" not in names
    assert "reelstack.adapters.log.sqlite" not in names


def test_no_service_code_and_no_unused_port_is_preloaded(tmp_path: Path) -> None:
    config = _config(tmp_path)
    specs = services.of(config).values()
    names = preload.modules(specs, config)
    for spec in specs:
        app_module = spec.app.partition(":")[0]
        assert app_module not in names
    used = {port for spec in specs for port in spec.ports}
    assert "widecolumn" not in used
    assert not [name for name in names if ".widecolumn." in name]
    assert preload.modules([_spec("bare")], config) == (*preload.RUNTIME, *preload.SERVER)


def test_a_module_that_cannot_be_imported_is_reported_not_fatal() -> None:
    assert preload.import_all(["json", "reelstack_no_such_module"]) == ["reelstack_no_such_module"]
