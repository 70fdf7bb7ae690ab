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

import re
from collections.abc import Callable, Mapping
from typing import Any

from reelstack.events.models import Rejection

# A field check returns None when the value is good, else what is wrong with it.
Check = Callable[[Any], "str | None"]

MAX_INT = 2**53 - 1  # what every JSON reader holds exactly
ID_CHARS = 64
TEXT_CHARS = 512
MAX_CMCD_KEYS = 32

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

_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _int(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        # bool is an int in Python, never in the schema.
        if type(value) is not int:
            return f"expected an integer, got {_kind(value)}"
        if not low <= value <= high:
            return f"must be between {low} and {high}"
        return None

    return check


def _number(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        if type(value) not in (int, float):
            return f"expected a number, got {_kind(value)}"
        if not low <= value <= high:  # NaN fails too
            return f"must be between {low} and {high}"
        return None

    return check


def _text(limit: int) -> Check:
    def check(value: Any) -> str | None:
        if type(value) is not str:
            return f"expected a string, got {_kind(value)}"
        if not 0 < len(value) <= limit:
            return f"must be 1 to {limit} characters"
        return None

    return check


def check_identifier(value: Any) -> str | None:
    if type(value) is not str:
        return f"expected a string, got {_kind(value)}"
    if _ID.fullmatch(value) is None:
        return f"must be 1 to {ID_CHARS} of A-Z a-z 0-9 . _ : -"
    return None


def _boolean(value: Any) -> str | None:
    return None if type(value) is bool else f"expected true or false, got {_kind(value)}"


def _choice(*choices: str) -> Check:
    allowed = frozenset(choices)

    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(choices)}"

    return check


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


MS = _int(0, MAX_INT)
KBPS = _int(0, 10_000_000)

# CTA-5004 keys with the types the specification gives them; custom keys
# (which the specification requires to hold a hyphen) are kept if small.
CMCD: Mapping[str, Check] = {
    "br": KBPS,
    "bl": MS,
    "bs": _boolean,
    "cid": _text(ID_CHARS),
    "d": MS,
    "dl": MS,
    "mtp": KBPS,
    "nor": _text(TEXT_CHARS),
    "nrr": _text(ID_CHARS),
    "ot": _choice("m", "a", "v", "av", "i", "c", "tt", "k", "o"),
    "pr": _number(0, 100),
    "rtp": KBPS,
    "sf": _choice("d", "h", "s", "o"),
    "sid": _text(ID_CHARS),
    "st": _choice("v", "l"),
    "su": _boolean,
    "tb": KBPS,
    "v": _int(1, 1),
}


def _custom_cmcd(value: Any) -> str | None:
    if type(value) is bool or type(value) is int:
        return None
    return _text(ID_CHARS)(value)


def _cmcd(value: Any) -> str | None:
    if type(value) is not dict:
        return f"expected an object, got {_kind(value)}"
    if len(value) > MAX_CMCD_KEYS:
        return f"at most {MAX_CMCD_KEYS} keys"
    for key, item in value.items():
        check = CMCD.get(key)
        if check is None:
            if "-" not in key or len(key) > ID_CHARS:
                return f"key {key[:ID_CHARS]!r} is not a CMCD key (custom keys hold a hyphen)"
            check = _custom_cmcd
        problem = check(item)
        if problem is not None:
            return f"key {key!r}: {problem}"
    return None


# Field name -> (check, required). Every kind has these.
COMMON: dict[str, tuple[Check, bool]] = {
    "type": (check_identifier, True),
    "v": (_int(1, 1000), True),
    "session": (check_identifier, True),
    "seq": (_int(0, MAX_INT), True),
    "ts": (MS, True),
    "cmcd": (_cmcd, False),
}


def _schema(**fields: tuple[Check, bool]) -> dict[str, tuple[Check, bool]]:
    return {**COMMON, **fields}


REQUIRED_POSITION = (MS, True)

SCHEMAS: Mapping[tuple[str, int], Mapping[str, tuple[Check, bool]]] = {
    ("play_start", 1): _schema(
        title=(check_identifier, True),
        startup_ms=(_int(0, 600_000), True),
        position_ms=REQUIRED_POSITION,
        device=(_text(ID_CHARS), False),
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
        reason=(_choice("abr", "manual", "startup"), False),
    ),
    ("rebuffer_start", 1): _schema(position_ms=REQUIRED_POSITION),
    ("rebuffer_end", 1): _schema(position_ms=REQUIRED_POSITION, duration_ms=(MS, True)),
    ("error", 1): _schema(
        code=(_text(ID_CHARS), True),
        message=(_text(TEXT_CHARS), False),
        fatal=(_boolean, True),
        position_ms=(MS, False),
    ),
    ("stop", 1): _schema(
        position_ms=REQUIRED_POSITION,
        reason=(_choice("user", "ended", "error", "background"), False),
    ),
}

KINDS = frozenset(kind for kind, _ in SCHEMAS)
VERSIONS: Mapping[str, tuple[int, ...]] = {
    kind: tuple(sorted(v for k, v in SCHEMAS if k == kind)) for kind in KINDS
}
IDENTITY_FIELDS = frozenset({"account", "profile"})


def check_event(index: int, event: Any) -> Rejection | None:
    """Return why event ``index`` of a batch is refused, or None if its schema accepts it."""
    if type(event) is not dict:
        return Rejection(index, "not_object", f"expected an object, got {_kind(event)}")
    kind = event.get("type")
    if kind not in KINDS:
        shown = kind[:ID_CHARS] if type(kind) is str else _kind(kind)
        known = ", ".join(sorted(KINDS))
        return Rejection(index, "unknown_type", f"type {shown!r} is not one of {known}")
    version = event.get("v")
    schema = SCHEMAS.get((kind, version)) if type(version) is int else None
    if schema is None:
        known_v = ", ".join(map(str, VERSIONS[kind]))
        shown_v = version if type(version) is int else _kind(version)
        return Rejection(
            index, "unknown_version", f"{kind} has no schema v={shown_v} (known: {known_v})"
        )
    for name, (check, required) in schema.items():
        if name not in event:
            if required:
                return Rejection(index, "missing_field", f"{kind} v{version} needs {name!r}")
            continue
        problem = check(event[name])
        if problem is not None:
            return Rejection(index, "bad_value", f"{name}: {problem}")
    if not schema.keys() >= event.keys():
        extra = sorted(set(event) - set(schema))
        if IDENTITY_FIELDS.intersection(extra):
            return Rejection(
                index,
                "identity_claimed",
                "account and profile come from the caller's token, never from the event",
            )
        names = ", ".join(repr(name[:ID_CHARS]) for name in extra[:5])
        return Rejection(index, "unknown_field", f"{kind} v{version} has no field {names}")
    return None
