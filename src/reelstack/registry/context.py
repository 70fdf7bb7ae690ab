"""What the registry's background tasks share with its routes: the lease table and peers.

The routes are bound to the same objects when the app is built (heartbeats
and fetches are the hot path, where a dependency per request costs), so no
route takes the context as a dependency.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelstack.config import Config
from reelstack.registry.leases import Registry
from reelstack.registry.peers import Peers


@dataclass(frozen=True)
class RegistryContext:
    """One registry instance's state, kept by the chassis while it serves."""

    config: Config
    registry: Registry
    peers: Peers
