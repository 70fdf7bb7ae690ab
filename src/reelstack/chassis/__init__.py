"""The service chassis: what every reelstack service gets from one factory.

Spring Boot's role (app factory, health, metrics, logs) plus Archaius' runtime
properties. Build a service with :func:`create_service_app`; run an instance
with ``python -m reelstack.chassis.run``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelstack.chassis.app import chassis_of, create_service_app
    from reelstack.chassis.state import Chassis

__all__ = ["Chassis", "chassis_of", "create_service_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the CLI and the supervisor import chassis
    # submodules (properties, run) without paying for FastAPI and SQLAlchemy.
    if name in ("chassis_of", "create_service_app"):
        from reelstack.chassis import app

        return getattr(app, name)
    if name == "Chassis":
        from reelstack.chassis.state import Chassis

        return Chassis
    raise AttributeError(f"module 'reelstack.chassis' has no attribute {name!r}")
