"""What every adapter does to start, stop and say whether it is reachable."""

from __future__ import annotations

from typing import Protocol


class Lifecycle(Protocol):
    """Opened once by the ASGI lifespan, closed on shutdown."""

    async def open(self) -> None:
        """Connect, create files or pools. Raises UnavailableError or StoreCorruptError."""
        ...

    async def close(self) -> None:
        """Release connections and files; safe to call twice."""
        ...

    async def ping(self) -> None:
        """Return if the engine answers; raise UnavailableError saying why if not."""
        ...
