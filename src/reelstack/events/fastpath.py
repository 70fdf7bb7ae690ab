"""A compiled check of a whole batch: msgspec structs made from :data:`schemas.SCHEMAS`.

The batch that every playing device sends, valid, is decoded and checked in
one pass of msgspec's C decoder instead of ``orjson.loads`` and a Python walk
per event. It answers only "all valid" (with the events as structs) or "not
sure"; it never explains a refusal. Anything it does not accept goes to the
table-driven checks (:func:`reelstack.events.service.check_batch`), which
decide and give each event's index and reason. So the rule to keep is one
way: whatever this accepts, the table-driven checks accept too, with the same
values (``tests/unit/events/test_fastpath.py`` holds it to that).

The structs are made from the schema table, never written by hand: a field
whose rule has no exact msgspec form (a ``Field`` without ``kind``, such as
CMCD's ``pr`` that takes an int or a float) is left out, so an event holding
it is "not sure" and takes the slow path; so do custom CMCD keys, and kinds
with more than one schema version (the tag is the kind alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

import msgspec

from reelstack.events.fields import CMCD, CMCD_KEYS, Field
from reelstack.events.schemas import SCHEMAS


def _exact(field: Field) -> Any | None:
    """Return the msgspec type that accepts exactly what ``field`` accepts, or None."""
    kind = field.kind
    if kind is bool:
        return bool
    if kind is int:
        return Annotated[int, msgspec.Meta(ge=field.low, le=field.high)]
    if kind is str:
        if field.choices is not None:
            return Literal[tuple(sorted(field.choices))]
        # Anchored with \Z: msgspec searches the pattern, and $ would also
        # match before a trailing newline.
        pattern = f"^(?:{field.pattern.pattern})\\Z" if field.pattern is not None else None
        return Annotated[
            str, msgspec.Meta(min_length=field.low, max_length=field.high, pattern=pattern)
        ]
    return None


def _fields(rules: Mapping[str, tuple[Any, bool]]) -> list[tuple[str, Any] | tuple[str, Any, Any]]:
    out: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, (kind, required) in rules.items():
        if required:
            out.append((name, kind))
        else:
            # UNSET, not None: an optional field sent as null is refused, as the
            # table-driven check refuses it.
            out.append((name, kind | msgspec.UnsetType, msgspec.UNSET))
    return out


def _cmcd_struct() -> type[msgspec.Struct]:
    exact = {key: _exact(field) for key, field in CMCD_KEYS.items()}
    rules = {key: (kind, False) for key, kind in exact.items() if kind is not None}
    return msgspec.defstruct(
        "Cmcd", _fields(rules), kw_only=True, forbid_unknown_fields=True, omit_defaults=True
    )


def _event_structs() -> list[type[msgspec.Struct]]:
    cmcd = _cmcd_struct()
    versions: dict[str, int] = {}
    for kind, _ in SCHEMAS:
        versions[kind] = versions.get(kind, 0) + 1
    structs = []
    for (kind, version), schema in SCHEMAS.items():
        if versions[kind] != 1:
            continue
        rules: dict[str, tuple[Any, bool]] = {"v": (Literal[version], True)}
        for name, (field, required) in schema.items():
            if name in ("type", "v"):
                continue
            exact = cmcd if field is CMCD else _exact(field)
            if exact is not None:
                rules[name] = (exact, required)
            elif required:
                break  # a required field with no exact form: this kind always goes slow
        else:
            structs.append(
                msgspec.defstruct(
                    f"Event_{kind}_v{version}",
                    _fields(rules),
                    kw_only=True,
                    tag_field="type",
                    tag=kind,
                    forbid_unknown_fields=True,
                    omit_defaults=True,
                )
            )
    return structs


_STRUCTS = _event_structs()
KIND_OF: dict[type, str] = {struct: struct.__struct_config__.tag for struct in _STRUCTS}  # type: ignore[misc]
"""The kind (``type``) of each event struct :func:`decode_valid` returns."""
# A tagged union of the structs, by "type"; the batch object around it.
_EVENT: Any = Union[tuple(_STRUCTS)]  # noqa: UP007 - made at run time, no | form
_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
    msgspec.defstruct("Batch", [("events", list[_EVENT])])
)
_encoder = msgspec.json.Encoder()


def decode_valid(body: bytes) -> list[Any] | None:
    """Return the events of ``body`` if every one of them is surely valid, else None."""
    try:
        batch = _decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    events: list[Any] = batch.events
    return events


def records(
    events: list[Any], *, account: str, profile: str, received_ms: int
) -> list[tuple[bytes | None, bytes]]:
    """Return the log records of ``events`` from :func:`decode_valid`, stamped with the caller.

    The same JSON object :func:`reelstack.events.service.to_records` writes
    (fields in another order): the event as sent, then ``account``,
    ``profile`` and ``received_ms``. The caller's ids passed the identifier
    check (no quote or backslash), so they are written as they are.
    """
    tail = (f',"account":"{account}","profile":"{profile}","received_ms":{received_ms}}}').encode()
    encode = _encoder.encode
    return [(event.session.encode(), encode(event)[:-1] + tail) for event in events]
