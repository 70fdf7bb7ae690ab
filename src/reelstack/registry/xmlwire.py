"""Eureka's XML rendering of the same shapes the registry sends as JSON.

Eureka answers a read in XML unless the client's ``Accept`` names JSON, and
some clients (py-eureka-client among them) only parse XML. The JSON shapes
map onto XML mechanically, as Eureka's own converters do: ``@name`` keys are
attributes, ``$`` is the element's text, a list repeats its element. Only
reads are rendered; the registry accepts JSON bodies only.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

# JSON field names that Eureka's XML spells differently.
XML_NAMES = {"overriddenStatus": "overriddenstatus"}
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(out: list[str], tag: str, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _element(out, tag, item)
        return
    name = XML_NAMES.get(tag, tag)
    if not _XML_NAME.match(name):
        # A metadata key XML cannot name: left out of XML (JSON carries it).
        return
    if not isinstance(value, dict):
        out.append(f"<{name}>{escape(_scalar(value))}</{name}>")
        return
    attrs = "".join(
        f" {key[1:]}={quoteattr(_scalar(item))}"
        for key, item in value.items()
        if key.startswith("@") and _XML_NAME.match(key[1:])
    )
    out.append(f"<{name}{attrs}>")
    for key, item in value.items():
        if key == "$":
            out.append(escape(_scalar(item)))
        elif not key.startswith("@"):
            _element(out, key, item)
    out.append(f"</{name}>")


def to_xml(document: dict[str, Any]) -> bytes:
    """Render a one-key JSON document (``{"applications": {...}}``) as XML."""
    ((root, value),) = document.items()
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>']
    _element(out, root, value)
    return "".join(out).encode()
