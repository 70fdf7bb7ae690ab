"""Routing (inbound, first): which endpoint answers the request.

A path under a configured route goes to the proxy; any other path under the
API prefix is an unknown route (404 JSON, never the web app's index page); a
path outside it goes to the static files of the web app when they are
served, else it is unknown too.
"""

from __future__ import annotations

from urllib.parse import unquote

from reelstack.gateway.filters import Kind
from reelstack.gateway.models import Endpoint, GatewayResponse, RequestContext
from reelstack.gateway.responses import error_response
from reelstack.gateway.routes import Route, RouteTable


class NotFoundEndpoint:
    """Answers 404 JSON: no route serves this path."""

    name = "<unmatched>"
    kind = "endpoint"

    async def handle(self, ctx: RequestContext) -> GatewayResponse:
        return error_response(404, "NotFound", f"no route for {ctx.path}")


NOT_FOUND = NotFoundEndpoint()


class BadPathEndpoint:
    """Answers 400 JSON: the path has dot segments."""

    name = "<bad path>"
    kind = "endpoint"

    async def handle(self, ctx: RequestContext) -> GatewayResponse:
        return error_response(400, "BadPath", "the path has . or .. segments")


BAD_PATH = BadPathEndpoint()


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


class RoutingFilter:
    """Sets ``ctx.route`` and ``ctx.endpoint``."""

    name = "route"
    kind: Kind = "inbound"
    order = 0

    def __init__(
        self,
        table: RouteTable,
        *,
        proxy: Endpoint,
        static: Endpoint | None,
        api_prefix: str,
        local: tuple[Route, Endpoint] | None = None,
    ) -> None:
        self.table = table
        self.proxy = proxy
        self.static = static
        # A route the gateway answers itself (the ops API), ahead of the table.
        self.local = local
        self.api_prefix = api_prefix.rstrip("/")

    def should_apply(self, ctx: RequestContext) -> bool:
        return True

    def apply(self, ctx: RequestContext) -> None:
        path = ctx.path
        if ("/." in path or "%2" in path) and _has_dot_segment(path):
            # "/api/hello/../admin" must not reach another path of the
            # service (or, once decoded, another route) than it names.
            ctx.endpoint = BAD_PATH
            return
        if self.local is not None:
            local_route, endpoint = self.local
            prefix = local_route.prefix
            if path == prefix or path.startswith(prefix + "/"):
                ctx.route = local_route
                ctx.endpoint = endpoint
                return
        route = self.table.match(path)
        if route is not None:
            ctx.route = route
            ctx.endpoint = self.proxy
            return
        api = self.api_prefix
        under_api = bool(api) and (path == api or path.startswith(api + "/"))
        if self.static is not None and not under_api:
            ctx.endpoint = self.static
        else:
            ctx.endpoint = NOT_FOUND
