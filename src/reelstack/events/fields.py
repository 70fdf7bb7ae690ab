"""What a field of a player event may hold: one :class:`Field` per rule, and CMCD's keys.

A field's ``check`` is its definition: it accepts a value (None) or says
what is wrong with it. The other attributes describe the same rule as data
(``kind``, bounds, ``pattern``, ``choices``) so that the schema walk in
:mod:`reelstack.events.schemas` can accept the common case, a good value,
without a call per field; a value it does not accept goes to ``check``,
which gives the reason. ``kind`` None: only ``check`` decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

# A field check returns None when the value is good, else what is wrong with it.
Check = Callable[[Any], "str | None"]

MAX_INT = 2**53 - 1  # what every JSON reader holds exactly
ID_CHARS = 64
TEXT_CHARS = 512
MAX_CMCD_KEYS = 32

_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class Field(NamedTuple):
    """One field's rule: ``check`` decides; the rest lets good values pass without a call."""

    check: Check
    kind: type | None = None
    low: int = 0
    high: int = 0
    pattern: re.Pattern[str] | None = None
    choices: frozenset[str] | None = None


def accepts(field: Field, value: Any) -> bool:
    """Return True if ``field`` surely accepts ``value`` (False: ask ``field.check``)."""
    _, kind, low, high, pattern, choices = field
    # Compared through a name: mypy would narrow ``value`` to ``object``.
    value_type = type(value)
    if value_type is not kind:
        return False
    if kind is int:
        return bool(low <= value <= high)
    if kind is str:
        if choices is not None:
            return value in choices
        return low <= len(value) <= high and (
            pattern is None or pattern.fullmatch(value) is not None
        )
    return kind is bool


def describe(value: Any) -> str:
    """Name the JSON type of ``value`` for a reason ("an object", "a string", ...)."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def integer(low: int, high: int) -> Field:
    """An integer from ``low`` to ``high`` (never a boolean, never a float)."""

    def check(value: Any) -> str | None:
        # bool is an int in Python, never in the schema.
        if type(value) is not int:
            return f"expected an integer, got {describe(value)}"
        if not low <= value <= high:
            return f"must be between {low} and {high}"
        return None

    return Field(check, int, low, high)


def number(low: float, high: float) -> Field:
    """An integer or a float from ``low`` to ``high``."""

    def check(value: Any) -> str | None:
        if type(value) not in (int, float):
            return f"expected a number, got {describe(value)}"
        if not low <= value <= high:  # NaN fails too
            return f"must be between {low} and {high}"
        return None

    return Field(check)


def text(limit: int) -> Field:
    """A string of 1 to ``limit`` characters."""

    def check(value: Any) -> str | None:
        if type(value) is not str:
            return f"expected a string, got {describe(value)}"
        if not 0 < len(value) <= limit:
            return f"must be 1 to {limit} characters"
        return None

    return Field(check, str, 1, limit)


def check_identifier(value: Any) -> str | None:
    """Return what is wrong with ``value`` as an id (session, title, caller), or None."""
    if type(value) is not str:
        return f"expected a string, got {describe(value)}"
    if _ID.fullmatch(value) is None:
        return f"must be 1 to {ID_CHARS} of A-Z a-z 0-9 . _ : -"
    return None


def _boolean(value: Any) -> str | None:
    return None if type(value) is bool else f"expected true or false, got {describe(value)}"


def choice(*choices: str) -> Field:
    """One of ``choices``."""
    allowed = frozenset(choices)

    def check(value: Any) -> str | None:
        if type(value) is str and value in allowed:
            return None
        return f"must be one of {', '.join(choices)}"

    return Field(check, str, choices=allowed)


IDENTIFIER = Field(check_identifier, str, 1, ID_CHARS, _ID)
BOOLEAN = Field(_boolean, bool)
MS = integer(0, MAX_INT)
KBPS = integer(0, 10_000_000)

# CTA-5004 keys with the types the specification gives them; custom keys
# (which the specification requires to hold a hyphen) are kept if small.
CMCD_KEYS: Mapping[str, Field] = {
    "br": KBPS,
    "bl": MS,
    "bs": BOOLEAN,
    "cid": text(ID_CHARS),
    "d": MS,
    "dl": MS,
    "mtp": KBPS,
    "nor": text(TEXT_CHARS),
    "nrr": text(ID_CHARS),
    "ot": choice("m", "a", "v", "av", "i", "c", "tt", "k", "o"),
    "pr": number(0, 100),
    "rtp": KBPS,
    "sf": choice("d", "h", "s", "o"),
    "sid": text(ID_CHARS),
    "st": choice("v", "l"),
    "su": BOOLEAN,
    "tb": KBPS,
    "v": integer(1, 1),
}
_CUSTOM_TEXT = text(ID_CHARS)


def _custom_cmcd(value: Any) -> str | None:
    if type(value) is bool or type(value) is int:
        return None
    return _CUSTOM_TEXT.check(value)


def _cmcd(value: Any) -> str | None:
    if type(value) is not dict:
        return f"expected an object, got {describe(value)}"
    if len(value) > MAX_CMCD_KEYS:
        return f"at most {MAX_CMCD_KEYS} keys"
    keys = CMCD_KEYS
    for key, item in value.items():
        field = keys.get(key)
        if field is None:
            if "-" not in key or len(key) > ID_CHARS:
                return f"key {key[:ID_CHARS]!r} is not a CMCD key (custom keys hold a hyphen)"
            problem = _custom_cmcd(item)
        else:
            # accepts(), inlined: a player sends these with every event.
            kind = field.kind
            item_type = type(item)
            if item_type is kind and (
                kind is bool
                or (kind is int and field.low <= item <= field.high)
                or (
                    kind is str
                    and (
                        item in field.choices
                        if field.choices is not None
                        else field.low <= len(item) <= field.high
                    )
                )
            ):
                continue
            problem = field.check(item)
        if problem is not None:
            return f"key {key!r}: {problem}"
    return None


CMCD = Field(_cmcd)
"""The ``cmcd`` object: CTA-5004 keys with their types, custom keys with a hyphen."""
