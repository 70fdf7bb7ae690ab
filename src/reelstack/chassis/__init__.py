"""The service chassis: what every reelstack service gets from one factory.

Spring Boot's role (app factory, health, metrics, logs) plus Archaius' runtime
properties. Build a service with :func:`create_service_app`; run an instance
with ``python -m reelstack.chassis.run``.
"""

from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.state import Chassis

__all__ = ["Chassis", "chassis_of", "create_service_app"]
