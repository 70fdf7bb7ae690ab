"""The gateway's route table: the longest route prefix matching a path.

Routes themselves (and the ``PREFIX=SERVICE;options`` syntax of specs and
the ``gateway.routes`` setting) are defined in :mod:`reelstack.chassis.routing`.
"""

from __future__ import annotations

from collections.abc import Sequence

from reelstack.chassis.routing import Route, parse_route, parse_routes

__all__ = ["Route", "RouteTable", "parse_route", "parse_routes"]


class RouteTable:
    """Finds the route of a path: the longest prefix matching whole segments."""

    __slots__ = ("routes",)

    def __init__(self, routes: Sequence[Route]) -> None:
        # Longest first, so the first match is the most specific.
        self.routes = tuple(sorted(routes, key=lambda r: len(r.prefix), reverse=True))

    def match(self, path: str) -> Route | None:
        """Return the route serving ``path``, or None."""
        for route in self.routes:
            prefix = route.prefix
            if path.startswith(prefix):
                end = len(prefix)
                if len(path) == end or path[end] == "/" or prefix == "/":
                    return route
        return None

    def services(self) -> list[str]:
        """Return the services the routes name, each once."""
        return sorted({route.service for route in self.routes})
