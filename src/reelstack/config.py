"""Layered configuration with provenance, as Archaius does it.

Layers, lowest first: defaults < file (TOML) < environment < arguments <
runtime properties. Every resolved value remembers where it came from, so an
invalid value is reported with its key, value and source, and
``reelstack config get`` can say why a value is what it is.

Runtime properties may change while an instance runs: a :class:`Property`
handle always returns the current value. Settings declare whether they may
change at runtime; a runtime change to a start-up-only setting is refused.

This module holds the mechanism; the settings themselves are declared in
:mod:`reelstack.settings`.
"""

from __future__ import annotations

import logging
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

from reelstack.errors import ConfigError

T = TypeVar("T")
log = logging.getLogger(__name__)

ENV_PREFIX = "REELSTACK_"


def env_name(key: str) -> str:
    """Return the environment variable that sets ``key``."""
    return ENV_PREFIX + key.upper().replace(".", "_").replace("-", "_")


class Secret:
    """A string that never prints."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# -- parsers: each takes the raw text and returns the value or raises ValueError


def parse_str(raw: str) -> str:
    return raw


def parse_bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true/false, yes/no, on/off or 1/0")


def parse_int(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError("expected an integer") from None
        if minimum is not None and value < minimum:
            raise ValueError(f"must be >= {minimum}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be <= {maximum}")
        return value

    return parse


def parse_float(
    minimum: float | None = None, maximum: float | None = None
) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("expected a number") from None
        if minimum is not None and value < minimum:
            raise ValueError(f"must be >= {minimum}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be <= {maximum}")
        return value

    return parse


def parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def parse_url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        scheme = urlsplit(value).scheme
        if not scheme:
            raise ValueError(f"expected a URL such as {schemes[0]}://...")
        if scheme not in schemes:
            raise ValueError(f"unsupported scheme {scheme!r}; supported: {', '.join(schemes)}")
        return value

    return parse


def parse_secret(raw: str) -> Secret:
    return Secret(raw)


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One named, typed setting: its key, parser, default and documentation."""

    key: str
    parse: Callable[[str], T]
    default: str | Callable[[Config], str]
    doc: str
    runtime: bool = False

    @property
    def env(self) -> str:
        return env_name(self.key)


@dataclass(frozen=True)
class Resolved:
    """A value with the layer it came from."""

    key: str
    raw: str
    value: Any
    source: str


class SettingsRegistry:
    """Every setting reelstack knows, by key."""

    def __init__(self) -> None:
        self._settings: dict[str, Setting[Any]] = {}

    def add(self, setting: Setting[T]) -> Setting[T]:
        if setting.key in self._settings:
            raise ValueError(f"setting {setting.key} declared twice")
        self._settings[setting.key] = setting
        return setting

    def __getitem__(self, key: str) -> Setting[Any]:
        return self._settings[key]

    def __contains__(self, key: object) -> bool:
        return key in self._settings

    def all(self) -> list[Setting[Any]]:
        return sorted(self._settings.values(), key=lambda s: s.key)

    def by_env(self) -> dict[str, Setting[Any]]:
        return {s.env: s for s in self._settings.values()}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, key + "."))
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def read_toml(path: Path) -> dict[str, str]:
    """Read a TOML settings file into flat dotted keys."""
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", str(path), f"file:{path}", f"not valid TOML: {exc}") from exc
    return _flatten(data)


@dataclass
class Property(Generic[T]):
    """A handle on a setting that always returns its current value."""

    config: Config
    setting: Setting[T]

    def get(self) -> T:
        """Return the current value."""
        value: T = self.config.get(self.setting)
        return value

    def __call__(self) -> T:
        return self.get()


@dataclass
class Config:
    """Resolved settings for one process, with provenance and runtime overrides."""

    registry: SettingsRegistry
    layers: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _values: dict[str, Resolved] = field(default_factory=dict)
    _runtime: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listeners: list[Callable[[str, Any], None]] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        registry: SettingsRegistry,
        *,
        environ: Mapping[str, str],
        file: Path | None = None,
        args: Mapping[str, str] | None = None,
    ) -> Config:
        """Resolve every setting from defaults, file, environment and arguments."""
        layers: list[tuple[str, dict[str, str]]] = []
        if file is not None and file.exists():
            values = read_toml(file)
            for key, raw in values.items():
                if key not in registry:
                    raise ConfigError(key, raw, f"file:{file}", "unknown setting")
            layers.append((f"file:{file}", values))
        env_values: dict[str, str] = {}
        by_env = registry.by_env()
        for name, raw in environ.items():
            if not name.startswith(ENV_PREFIX):
                continue
            setting = by_env.get(name)
            if setting is None:
                log.warning("ignoring unknown environment setting %s", name)
                continue
            env_values[setting.key] = raw
        # Each env value is its own layer so its source names the variable.
        for key, raw in env_values.items():
            layers.append((f"env:{env_name(key)}", {key: raw}))
        if args:
            for key, raw in args.items():
                if key not in registry:
                    raise ConfigError(key, raw, "args", "unknown setting")
            layers.append(("args", dict(args)))
        config = cls(registry=registry, layers=layers)
        config._resolve_all()
        return config

    def _resolve_all(self) -> None:
        values: dict[str, Resolved] = {}
        # Defaults may refer to other settings (e.g. paths under home), so
        # resolve explicit values first, then defaults in declaration order.
        explicit: dict[str, tuple[str, str]] = {}
        for source, layer in self.layers:
            for key, raw in layer.items():
                explicit[key] = (raw, source)
        for key, raw in self._runtime.items():
            explicit[key] = (raw, "runtime")
        self._values = values
        for setting in self.registry.all():
            if setting.key in explicit:
                raw, source = explicit[setting.key]
                values[setting.key] = self._parse(setting, raw, source)
        for setting in self.registry.all():
            if setting.key not in values:
                self._resolve_default(setting)

    def _resolve_default(self, setting: Setting[Any]) -> Resolved:
        raw = setting.default(self) if callable(setting.default) else setting.default
        resolved = self._parse(setting, raw, "default")
        self._values[setting.key] = resolved
        return resolved

    @staticmethod
    def _parse(setting: Setting[Any], raw: str, source: str) -> Resolved:
        try:
            value = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(setting.key, raw, source, str(exc)) from None
        return Resolved(setting.key, raw, value, source)

    def get(self, setting: Setting[T] | str) -> T:
        """Return a setting's current value."""
        key = setting if isinstance(setting, str) else setting.key
        resolved = self._values.get(key)
        if resolved is None:
            resolved = self._resolve_default(self.registry[key])
        value: T = resolved.value
        return value

    def resolved(self, setting: Setting[Any] | str) -> Resolved:
        """Return a setting's value with the layer it came from."""
        key = setting if isinstance(setting, str) else setting.key
        self.get(key)
        return self._values[key]

    def property(self, setting: Setting[T]) -> Property[T]:
        """Return a handle that always reads the current value."""
        return Property(self, setting)

    def as_env(self) -> dict[str, str]:
        """Return every explicitly set value as environment variables (for children)."""
        return {
            env_name(r.key): r.raw
            for r in self._values.values()
            if r.source not in ("default", "runtime")
        }

    def on_change(self, listener: Callable[[str, Any], None]) -> None:
        """Call ``listener(key, value)`` whenever a runtime property changes a value."""
        self._listeners.append(listener)

    def apply_runtime(self, values: Mapping[str, str]) -> list[str]:
        """Replace the runtime layer; return the keys whose value changed.

        Invalid or start-up-only runtime values are logged and ignored, so a bad
        property never takes down a running instance.
        """
        accepted: dict[str, str] = {}
        for key, raw in values.items():
            if key not in self.registry:
                log.warning("ignoring unknown runtime property %s", key)
                continue
            setting = self.registry[key]
            if not setting.runtime:
                log.warning("ignoring runtime property %s: it only takes effect at start", key)
                continue
            try:
                self._parse(setting, raw, "runtime")
            except ConfigError as exc:
                log.error("ignoring runtime property: %s", exc)
                continue
            accepted[key] = raw
        with self._lock:
            if accepted == self._runtime:
                return []
            before = {k: r.value for k, r in self._values.items()}
            self._runtime = accepted
            self._resolve_all()
            changed = [k for k, r in self._values.items() if before.get(k) != r.value]
        for key in changed:
            for listener in self._listeners:
                try:
                    listener(key, self._values[key].value)
                except Exception:
                    log.exception("property listener failed for %s", key)
        return changed


def validate_runtime(registry: SettingsRegistry, key: str, raw: str) -> None:
    """Raise ConfigError unless ``raw`` is a valid runtime value for ``key``."""
    if key not in registry:
        raise ConfigError(key, raw, "runtime", "unknown setting")
    setting = registry[key]
    if not setting.runtime:
        raise ConfigError(key, raw, "runtime", "this setting only takes effect at start")
    Config._parse(setting, raw, "runtime")


SettingsGroup = Mapping[str, Setting[Any]]
"""Settings read together into one dataclass: field name -> the setting it comes from."""

D = TypeVar("D")


def read_group(config: Config, cls: type[D], group: SettingsGroup) -> D:
    """Build the dataclass ``cls`` from the current values of ``group``'s settings.

    The settings are the one place such a dataclass's values are written: the
    dataclass declares no defaults of its own, and a field without a setting
    (or a setting without a field) is a programming error named here.
    """
    if not is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    names = {f.name for f in fields(cls) if f.init}
    if names != set(group):
        missing = ", ".join(sorted(names - set(group))) or "none"
        extra = ", ".join(sorted(set(group) - names)) or "none"
        raise TypeError(
            f"settings group for {cls.__name__} does not match its fields "
            f"(fields without a setting: {missing}; settings without a field: {extra})"
        )
    return cast(D, cls(**{name: config.get(setting) for name, setting in group.items()}))


def group_defaults(registry: SettingsRegistry, cls: type[D], group: SettingsGroup) -> D:
    """Build ``cls`` from the defaults of ``group``'s settings (nothing read from outside)."""
    return read_group(Config.load(registry, environ={}), cls, group)
