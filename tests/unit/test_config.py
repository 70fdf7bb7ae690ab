"""Layered configuration: precedence, provenance, runtime properties, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config, Secret, validate_runtime
from reelstack.errors import ConfigError
from reelstack.gateway import settings as gateway_settings
from reelstack.hello import settings as hello_settings


def load(tmp_path: Path, env: dict[str, str] | None = None, toml: str | None = None) -> Config:
    environ = {"REELSTACK_HOME": str(tmp_path)}
    if toml is not None:
        (tmp_path / "reelstack.toml").write_text(toml)
    environ.update(env or {})
    return settings.load(environ=environ)


def test_defaults_resolve_under_home(tmp_path: Path) -> None:
    config = load(tmp_path)
    resolved = config.resolved(settings.LOG_URL)
    assert resolved.value == f"sqlite:///{tmp_path}/data/log.db"
    assert resolved.source == "default"
    assert config.resolved(settings.HOME).source == "env:REELSTACK_HOME"


def test_file_beats_default_and_env_beats_file(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        env={"REELSTACK_SERVICE_ZONE": "b"},
        toml='[service]\nzone = "c"\nversion = "v7"\n',
    )
    assert config.get(settings.SERVICE_ZONE) == "b"
    assert config.resolved(settings.SERVICE_ZONE).source == "env:REELSTACK_SERVICE_ZONE"
    assert config.get(settings.SERVICE_VERSION) == "v7"
    assert config.resolved(settings.SERVICE_VERSION).source.startswith("file:")


def test_explicit_config_file_is_read(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text("[service]\nport = 8123\n")
    config = settings.load(
        environ={"REELSTACK_HOME": str(tmp_path), "REELSTACK_CONFIG": str(other)}
    )
    assert config.get(settings.SERVICE_PORT) == 8123


def test_invalid_env_value_names_key_value_and_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env={"REELSTACK_SERVICE_PORT": "eighty"})
    message = str(info.value)
    assert "service.port" in message
    assert "'eighty'" in message
    assert "env:REELSTACK_SERVICE_PORT" in message


def test_invalid_file_value_and_unknown_key_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, toml="[cluster]\ninstances = 99\n")
    assert "cluster.instances" in str(info.value)
    assert "file:" in str(info.value)
    with pytest.raises(ConfigError, match="unknown setting"):
        load(tmp_path, toml="[servce]\nport = 1\n")


def test_unsupported_url_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported scheme 'redis'"):
        load(tmp_path, env={"REELSTACK_CACHE_URL": "redis://localhost"})


def test_runtime_property_changes_value_and_handles_follow(tmp_path: Path) -> None:
    config = load(tmp_path)
    greeting = config.property(hello_settings.HELLO_GREETING)
    seen: list[tuple[str, object]] = []
    config.on_change(lambda key, value: seen.append((key, value)))
    assert greeting() == "hello"
    assert config.apply_runtime({"hello.greeting": "hi"}) == ["hello.greeting"]
    assert greeting() == "hi"
    assert config.resolved(hello_settings.HELLO_GREETING).source == "runtime"
    assert seen == [("hello.greeting", "hi")]
    # Removing the runtime value falls back to the layer below.
    assert config.apply_runtime({}) == ["hello.greeting"]
    assert greeting() == "hello"


def test_bad_runtime_values_are_ignored_not_fatal(tmp_path: Path) -> None:
    config = load(tmp_path)
    changed = config.apply_runtime(
        {"logging.level": "LOUD", "service.port": "9", "no.such": "x", "hello.greeting": "yo"}
    )
    assert changed == ["hello.greeting"]
    assert config.get(settings.LOG_LEVEL) == "INFO"
    assert config.get(settings.SERVICE_PORT) == 0


def test_validate_runtime_refuses_start_only_and_invalid(tmp_path: Path) -> None:
    validate_runtime(settings.REGISTRY, "logging.level", "DEBUG")
    with pytest.raises(ConfigError, match="only takes effect at start"):
        validate_runtime(settings.REGISTRY, "service.port", "80")
    with pytest.raises(ConfigError, match="expected one of"):
        validate_runtime(settings.REGISTRY, "logging.level", "LOUD")
    with pytest.raises(ConfigError, match="unknown setting"):
        validate_runtime(settings.REGISTRY, "nope", "1")


def test_explicit_values_pass_to_children_as_env(tmp_path: Path) -> None:
    config = load(tmp_path, env={"REELSTACK_SERVICE_ZONE": "b"})
    env = config.as_env()
    assert env["REELSTACK_SERVICE_ZONE"] == "b"
    assert "REELSTACK_LOG_URL" not in env


def test_secret_never_prints() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2"


def test_a_checkout_serves_its_own_built_web_app_by_default(tmp_path: Path) -> None:
    config = settings.load(environ={"REELSTACK_HOME": str(tmp_path)})
    checkout = Path(__file__).resolve().parents[2]
    assert config.get(gateway_settings.GATEWAY_STATIC_DIR) == str(checkout / "web" / "dist")
