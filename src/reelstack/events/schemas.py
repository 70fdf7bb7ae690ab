"""The versioned schemas of player events, and the checks every event goes through.

An event is a JSON object with ``type`` (its kind), ``v`` (the schema version
of that kind), ``session`` (the play session, the log key), ``seq`` (the
player's counter within the session, so a consumer can drop the duplicates a
retried batch brings), ``ts`` (the player's clock, ms since the epoch), the
fields of its kind and, optionally, ``cmcd``: the CMCD keys (CTA-5004) the
player sent with its media requests.

A schema is closed: a field it does not name is refused, so a new field is a
new version and a consumer reading ``(type, v)`` knows every field it may
meet. ``account`` and ``profile`` are never taken from the client; the
service adds them from the gateway's headers.

The checks are table-driven plain Python rather than pydantic models: they
run for every event on the hot path, they must name the failing field in the
reason, and they build nothing per event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelstack.events.fields import (
    BOOLEAN,
    CMCD,
    ID_CHARS,
    IDENTIFIER,
    KBPS,
    MAX_INT,
    MS,
    TEXT_CHARS,
    Field,
    choice,
    describe,
    integer,
    text,
)
from reelstack.events.models import Rejection

# Metric labels: a closed set, so a client cannot grow the series.
REASONS = (
    "not_object",
    "unknown_type",
    "unknown_version",
    "missing_field",
    "unknown_field",
    "bad_value",
    "identity_claimed",
)

# Field name -> (check, required). Every kind has these.
COMMON: dict[str, tuple[Field, bool]] = {
    "type": (IDENTIFIER, True),
    "v": (integer(1, 1000), True),
    "session": (IDENTIFIER, True),
    "seq": (integer(0, MAX_INT), True),
    "ts": (MS, True),
    "cmcd": (CMCD, False),
}


def _schema(**fields: tuple[Field, bool]) -> dict[str, tuple[Field, bool]]:
    return {**COMMON, **fields}


REQUIRED_POSITION = (MS, True)

SCHEMAS: Mapping[tuple[str, int], Mapping[str, tuple[Field, bool]]] = {
    ("play_start", 1): _schema(
        title=(IDENTIFIER, True),
        startup_ms=(integer(0, 600_000), True),
        position_ms=REQUIRED_POSITION,
        device=(text(ID_CHARS), False),
    ),
    ("heartbeat", 1): _schema(
        position_ms=REQUIRED_POSITION,
        bitrate_kbps=(KBPS, False),
        buffer_ms=(MS, False),
    ),
    ("pause", 1): _schema(position_ms=REQUIRED_POSITION),
    ("seek", 1): _schema(from_ms=(MS, True), to_ms=(MS, True)),
    ("bitrate_switch", 1): _schema(
        position_ms=REQUIRED_POSITION,
        from_kbps=(KBPS, True),
        to_kbps=(KBPS, True),
        reason=(choice("abr", "manual", "startup"), False),
    ),
    ("rebuffer_start", 1): _schema(position_ms=REQUIRED_POSITION),
    ("rebuffer_end", 1): _schema(position_ms=REQUIRED_POSITION, duration_ms=(MS, True)),
    ("error", 1): _schema(
        code=(text(ID_CHARS), True),
        message=(text(TEXT_CHARS), False),
        fatal=(BOOLEAN, True),
        position_ms=(MS, False),
    ),
    ("stop", 1): _schema(
        position_ms=REQUIRED_POSITION,
        reason=(choice("user", "ended", "error", "background"), False),
    ),
}

KINDS = frozenset(kind for kind, _ in SCHEMAS)
VERSIONS: Mapping[str, tuple[int, ...]] = {
    kind: tuple(sorted(v for k, v in SCHEMAS if k == kind)) for kind in KINDS
}
IDENTITY_FIELDS = frozenset({"account", "profile"})

# The fields check_event walks: type and v are settled before it picks the schema.


class _Plan:
    """One schema laid out for the walk: integer fields apart, identifiers apart, the rest.

    Integer fields are most of every event; testing them in a loop of their
    own, with their bounds unpacked, costs a third of a generic walk.
    """

    __slots__ = ("ints", "others", "size", "texts")

    def __init__(self, schema: Mapping[str, tuple[Field, bool]]) -> None:
        walked = [(n, f, r) for n, (f, r) in schema.items() if n not in ("type", "v")]
        self.ints = tuple((n, r, f.low, f.high, f.check) for n, f, r in walked if f.kind is int)
        self.texts = tuple(
            (n, r, f.low, f.high, f.pattern, f.check)
            for n, f, r in walked
            if f.kind is str and f.choices is None
        )
        self.others = tuple(
            (n, r, f.check)
            for n, f, r in walked
            if not (f.kind is int or (f.kind is str and f.choices is None))
        )
        self.size = len(schema)


_PLANS: Mapping[tuple[str, int], _Plan] = {key: _Plan(s) for key, s in SCHEMAS.items()}


def check_event(index: int, event: Any) -> Rejection | None:
    """Return why event ``index`` of a batch is refused, or None if its schema accepts it."""
    if type(event) is not dict:
        return Rejection(index, "not_object", f"expected an object, got {describe(event)}")
    kind = event.get("type")
    if type(kind) is not str or kind not in KINDS:
        shown = kind[:ID_CHARS] if type(kind) is str else describe(kind)
        known = ", ".join(sorted(KINDS))
        return Rejection(index, "unknown_type", f"type {shown!r} is not one of {known}")
    version = event.get("v")
    plan = _PLANS.get((kind, version)) if type(version) is int else None
    if plan is None:
        known_v = ", ".join(map(str, VERSIONS[kind]))
        shown_v = version if type(version) is int else describe(version)
        return Rejection(
            index, "unknown_version", f"{kind} has no schema v={shown_v} (known: {known_v})"
        )
    present = 2  # type and v
    problem: str | None = None
    for name, required, low, high, check in plan.ints:
        value = event.get(name)
        if value is None:
            if name in event:
                problem = check(value)
                break
            if required:
                return _missing(index, kind, version, name)
            continue
        present += 1
        if type(value) is not int or not low <= value <= high:
            problem = check(value)
            break
    else:
        for name, required, low, high, pattern, check in plan.texts:
            value = event.get(name)
            if value is None:
                if name in event:
                    problem = check(value)
                    break
                if required:
                    return _missing(index, kind, version, name)
                continue
            present += 1
            if (
                type(value) is not str
                or not low <= len(value) <= high
                or (pattern is not None and pattern.fullmatch(value) is None)
            ):
                problem = check(value)
                break
        else:
            for name, required, check in plan.others:
                if name not in event:
                    if required:
                        return _missing(index, kind, version, name)
                    continue
                present += 1
                problem = check(event[name])
                if problem is not None:
                    break
    if problem is not None:
        return Rejection(index, "bad_value", f"{name}: {problem}")
    if present != len(event):
        return _unknown_fields(index, kind, version, event)
    return None


def _missing(index: int, kind: str, version: object, name: str) -> Rejection:
    return Rejection(index, "missing_field", f"{kind} v{version} needs {name!r}")


def _unknown_fields(index: int, kind: str, version: Any, event: dict[str, Any]) -> Rejection:
    extra = sorted(set(event) - set(SCHEMAS[(kind, version)]))
    if IDENTITY_FIELDS.intersection(extra):
        return Rejection(
            index,
            "identity_claimed",
            "account and profile come from the caller's token, never from the event",
        )
    names = ", ".join(repr(name[:ID_CHARS]) for name in extra[:5])
    return Rejection(index, "unknown_field", f"{kind} v{version} has no field {names}")
