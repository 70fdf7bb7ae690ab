"""Composition: subgraph SDLs in, a supergraph or errors naming subgraphs out.

The work is done by ``@theguild/federation-composition`` in a short-lived
Node process (``router/compose.mjs``): JSON in on stdin, JSON out on stdout.
A process per composition costs a few hundred milliseconds, paid only when
the set of subgraphs or an SDL changed (docs/adr/0019).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import orjson

from reelstack.errors import UnavailableError
from reelstack.router.models import Composition, CompositionError, Subgraph


class Composer(Protocol):
    """What composes subgraphs into a supergraph."""

    async def compose(self, subgraphs: Sequence[Subgraph]) -> Composition:
        """Compose ``subgraphs``; UnavailableError when the composer itself fails."""
        ...


class NodeComposer:
    """Runs ``compose.mjs`` of the router's npm package with ``node``."""

    def __init__(self, *, node: str, package: Path, timeout_s: float) -> None:
        self.node = node
        self.package = package
        self.timeout_s = timeout_s

    async def compose(self, subgraphs: Sequence[Subgraph]) -> Composition:
        """Compose ``subgraphs``; UnavailableError when the composer itself fails."""
        payload = orjson.dumps(
            {"subgraphs": [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in subgraphs]}
        )
        try:
            process = await asyncio.create_subprocess_exec(
                self.node,
                str(self.package / "compose.mjs"),
                cwd=self.package,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise UnavailableError(f"cannot run {self.node}: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(process.communicate(payload), self.timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise UnavailableError(
                f"composition took longer than {self.timeout_s:g}s and was stopped"
            ) from None
        if process.returncode != 0:
            tail = err.decode(errors="replace")[-2000:]
            raise UnavailableError(f"compose.mjs exited {process.returncode}: {tail}")
        return parse_result(out)


def parse_result(out: bytes) -> Composition:
    """Read ``compose.mjs``'s answer."""
    try:
        answer = orjson.loads(out)
    except ValueError as exc:
        raise UnavailableError(f"compose.mjs answered no JSON: {out[:200]!r}") from exc
    supergraph = answer.get("supergraph")
    if isinstance(supergraph, str):
        return Composition(supergraph)
    errors = tuple(
        CompositionError(
            str(e.get("message", "")),
            str(e.get("code", "")),
            tuple(str(name) for name in e.get("subgraphs", ())),
        )
        for e in answer.get("errors", ())
    )
    if not errors:
        raise UnavailableError(
            f"compose.mjs answered neither a supergraph nor errors: {out[:200]!r}"
        )
    return Composition(None, errors)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a reader sees the old file or the new, never a part.

    Written beside it, flushed to disk, then renamed over it (rename is atomic
    within a folder).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
