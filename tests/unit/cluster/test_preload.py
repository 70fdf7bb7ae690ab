"""What the fork server and the spares preload: the runtime, the adapters in use, the services."""

from __future__ import annotations

from pathlib import Path

from reelstack import services, settings
from reelstack.chassis.spec import ServiceSpec
from reelstack.cluster import preload
from reelstack.config import Config


def _config(tmp_path: Path, **env: str) -> Config:
    return settings.load(environ={"REELSTACK_HOME": str(tmp_path), **env})


RUNTIME = (*preload.RUNTIME, *preload.SERVER)


def _spec(name: str, *ports: str, background: tuple[str, ...] = ()) -> ServiceSpec:
    return ServiceSpec(
        name=name, app=f"example.{name}.app:create_app", ports=ports, background=background
    )


def test_the_runtime_then_the_adapters_in_use_then_the_services(tmp_path: Path) -> None:
    config = _config(tmp_path)
    specs = [
        _spec("a", "cache", "sql", background=("example.a.tasks:sweep", "example.a.app:tick")),
        _spec("b", "sql"),
    ]
    assert preload.modules(specs, config) == (
        *RUNTIME,
        # One adapter per port, in the order of PORTS, each once.
        "reelstack.adapters.sql.sqlalchemy",
        "reelstack.adapters.cache.sqlite",
        "example.a.app",
        "example.a.tasks",
        "example.b.app",
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


def test_every_service_s_app_and_no_unused_port(tmp_path: Path) -> None:
    config = _config(tmp_path)
    everything = list(services.of(config).values())
    for spec in everything:
        assert spec.app.partition(":")[0] in preload.modules(everything, config)
    # The adapter of a port only what no service uses is not preloaded.
    specs = [spec for spec in everything if "widecolumn" not in spec.ports]
    assert len(specs) < len(everything)
    names = preload.modules(specs, config)
    assert not [name for name in names if ".widecolumn." in name]
    assert [name for name in preload.modules(everything, config) if ".widecolumn." in name]
    assert preload.modules([], config) == RUNTIME


def test_a_module_that_cannot_be_imported_is_reported_not_fatal() -> None:
    assert preload.import_all(["json", "reelstack_no_such_module"]) == ["reelstack_no_such_module"]
