"""Small helpers for writing YAML and Markdown by hand (comments and layout kept)."""

from __future__ import annotations

import json
import re
import textwrap

# A plain YAML scalar that no YAML 1.1 or 1.2 reader takes for anything but a
# string, in block or flow context; anything else is written quoted.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def scalar(value: str | int) -> str:
    """Return ``value`` as a YAML scalar: plain when that reads back as the same string."""
    if isinstance(value, int):
        return str(value)
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value)  # a JSON string is a double-quoted YAML scalar


def comment(text: str, indent: int = 0, width: int = 80) -> list[str]:
    """Return ``text`` as ``#`` comment lines wrapped to ``width`` columns."""
    prefix = " " * indent + "# "
    return textwrap.wrap(text, width=width, initial_indent=prefix, subsequent_indent=prefix)
