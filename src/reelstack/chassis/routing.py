"""Gateway routes: path prefixes mapped to service names, as specs and settings write them.

The ``gateway.routes`` setting lists them comma-separated, each
``PREFIX=SERVICE`` followed by ``;``-separated options::

    /api/hello=hello;public;rewrite=/hello,/api/catalog=catalog;timeout=2

Options: ``public`` (no token needed), ``public=GET`` (no token needed
for these methods, ``/``-separated; GET brings HEAD; a token sent anyway is
still checked), ``keep`` (send the path unchanged),
``rewrite=/x`` (the prefix becomes ``/x``; by default it is stripped, as
Zuul's ``stripPrefix`` does), ``timeout=SECONDS`` (wait for the response
head), ``max_body=BYTES`` (request body limit for this route),
``role=studio/admin`` (a token holding one of these roles is needed for every
method the route does not open to anyone; 403 otherwise).

A prefix matches whole path segments: ``/api/hello`` matches ``/api/hello``
and ``/api/hello/x`` but not ``/api/helloworld``. The longest match wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Route:
    """A path prefix served by one service.

    ``rewrite`` replaces the matched prefix in the path sent to the service
    (``""`` strips it, Zuul's ``stripPrefix``); ``public`` routes need no
    token; on a route with ``public_methods`` those methods need none, but a
    token sent with them is still checked (a caller is anonymous or known,
    never wrongly known); ``roles`` (when given) are the roles of which a
    caller needs one for every method the route does not open to anyone;
    ``timeout_s`` bounds the wait for the service's response head
    (None: the ``gateway.timeout_s`` setting); ``max_body_bytes`` overrides
    the request body limit for this route.
    """

    prefix: str
    service: str
    rewrite: str = ""
    public: bool = False
    timeout_s: float | None = None
    max_body_bytes: int | None = None
    public_methods: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    def upstream_path(self, path: str) -> str:
        """Return ``path`` as the service sees it (the prefix rewritten)."""
        rest = path[len(self.prefix) :]
        target = self.rewrite + rest
        if not target.startswith("/"):
            target = "/" + target
        return target


def _parse_number(option: str, raw: str, kind: type[float] | type[int]) -> float:
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"route option {option}={raw!r}: expected a number") from None
    if value <= 0:
        raise ValueError(f"route option {option}={raw!r}: must be > 0")
    return value


def _check_path(what: str, path: str) -> None:
    if not path.startswith("/"):
        raise ValueError(f"{what} {path!r} must start with /")
    if any(c in path for c in "?#% ") or ".." in path.split("/"):
        raise ValueError(f"{what} {path!r} must be a plain path")


def parse_route(entry: str) -> Route:
    """Parse one ``PREFIX=SERVICE[;option...]`` entry."""
    head, *options = (part.strip() for part in entry.split(";"))
    prefix, sep, service = head.partition("=")
    prefix, service = prefix.strip(), service.strip()
    if not sep or not prefix or not service:
        raise ValueError(f"route {entry!r}: expected PREFIX=SERVICE[;option...]")
    _check_path("route prefix", prefix)
    if prefix != "/":
        prefix = prefix.rstrip("/")
    if not service.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"route {entry!r}: service name {service!r} is not a name")
    rewrite = ""
    public = False
    public_methods: frozenset[str] = frozenset()
    timeout_s: float | None = None
    max_body: int | None = None
    roles: frozenset[str] = frozenset()
    for option in options:
        name, _, value = option.partition("=")
        name, value = name.strip(), value.strip()
        if name == "public" and not value:
            public = True
        elif name == "public":
            public_methods = _parse_methods(entry, value)
        elif name == "keep" and not value:
            rewrite = prefix
        elif name == "rewrite":
            _check_path("route rewrite", value)
            rewrite = value.rstrip("/")
        elif name == "role":
            roles = _parse_roles(entry, value)
        elif name == "timeout":
            timeout_s = _parse_number(name, value, float)
        elif name == "max_body":
            max_body = int(_parse_number(name, value, int))
        elif name:
            raise ValueError(
                f"route {entry!r}: unknown option {name!r} "
                "(known: public, public=, keep, rewrite=, role=, timeout=, max_body=)"
            )
    if roles and public:
        raise ValueError(f"route {entry!r}: a public route needs no role")
    return Route(prefix, service, rewrite, public, timeout_s, max_body, public_methods, roles)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _parse_methods(entry: str, raw: str) -> frozenset[str]:
    methods = {m.strip().upper() for m in raw.split("/") if m.strip()}
    unknown = sorted(methods - METHODS)
    if not methods or unknown:
        raise ValueError(
            f"route {entry!r}: public={raw!r} must name HTTP methods separated by /"
            f" (unknown: {', '.join(unknown) or 'none given'})"
        )
    if "GET" in methods:
        methods.add("HEAD")
    return frozenset(methods)


ROLES = frozenset({"viewer", "studio", "admin"})


def _parse_roles(entry: str, raw: str) -> frozenset[str]:
    roles = {r.strip().lower() for r in raw.split("/") if r.strip()}
    unknown = sorted(roles - ROLES)
    if not roles or unknown:
        raise ValueError(
            f"route {entry!r}: role={raw!r} must name roles separated by /"
            f" ({', '.join(sorted(ROLES))}; unknown: {', '.join(unknown) or 'none given'})"
        )
    return frozenset(roles)


def parse_routes(raw: str) -> tuple[Route, ...]:
    """Parse the ``gateway.routes`` setting; raise ValueError naming a bad entry."""
    routes = tuple(parse_route(entry) for entry in raw.split(",") if entry.strip())
    seen: set[str] = set()
    for route in routes:
        if route.prefix in seen:
            raise ValueError(f"route prefix {route.prefix!r} is given twice")
        seen.add(route.prefix)
    return routes
