"""The sample service."""

from __future__ import annotations

from reelstack.config import (
    Setting,
    parse_str,
)
from reelstack.settings.base import add

# -- the sample service -------------------------------------------------------------

HELLO_GREETING = add(
    Setting(
        "hello.greeting",
        parse_str,
        "hello",
        "Greeting the sample service returns (a runtime property).",
        runtime=True,
    )
)
