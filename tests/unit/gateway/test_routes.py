from __future__ import annotations

import pytest

from reelstack.gateway.models import Route
from reelstack.gateway.routes import RouteTable, parse_routes


def test_parses_routes_with_options() -> None:
    routes = parse_routes(
        "/api/hello=hello;public;rewrite=/hello, /api/catalog/=catalog;timeout=2.5;max_body=100,"
        "/api/keep=keeper;keep"
    )
    assert routes == (
        Route("/api/hello", "hello", "/hello", True, None, None),
        Route("/api/catalog", "catalog", "", False, 2.5, 100),
        Route("/api/keep", "keeper", "/api/keep", False, None, None),
    )


@pytest.mark.parametrize(
    "raw",
    [
        "/api/x",  # no service
        "api/x=svc",  # not a path
        "/api/x=svc;bogus",  # unknown option
        "/api/x=svc;timeout=0",
        "/api/x=svc;rewrite=nope",
        "/api/../x=svc",
        "/a=svc,/a=other",  # the same prefix twice
        "/a=bad name",
    ],
)
def test_refuses_bad_routes(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_routes(raw)


def test_public_methods() -> None:
    (reads, writes) = parse_routes("/api/a=a;public=GET,/api/b=b;public=post/ PUT")
    assert (reads.public, reads.public_methods) == (False, frozenset({"GET", "HEAD"}))
    assert writes.public_methods == frozenset({"POST", "PUT"})
    with pytest.raises(ValueError, match="FETCH"):
        parse_routes("/api/a=a;public=GET/FETCH")
    with pytest.raises(ValueError, match="none given"):
        parse_routes("/api/a=a;public=/")


def test_matches_whole_segments_longest_first() -> None:
    table = RouteTable(parse_routes("/api=api,/api/hello=hello"))
    assert table.match("/api/hello").service == "hello"  # type: ignore[union-attr]
    assert table.match("/api/hello/x/y").service == "hello"  # type: ignore[union-attr]
    assert table.match("/api/helloworld").service == "api"  # type: ignore[union-attr]
    assert table.match("/apix") is None
    assert table.match("/") is None


def test_rewrites_the_prefix() -> None:
    strip, rewrite, keep = parse_routes("/api/a=a,/api/b=b;rewrite=/b,/api/c=c;keep")
    assert strip.upstream_path("/api/a/titles/7") == "/titles/7"
    assert strip.upstream_path("/api/a") == "/"
    assert rewrite.upstream_path("/api/b") == "/b"
    assert rewrite.upstream_path("/api/b/x") == "/b/x"
    assert keep.upstream_path("/api/c/x") == "/api/c/x"


def test_a_route_names_the_roles_it_needs() -> None:
    (studio,) = parse_routes("/api/media=media;role=studio/Admin")
    assert studio.roles == {"studio", "admin"}
    for bad in ("/api/a=a;role=owner", "/api/a=a;role=", "/api/a=a;public;role=studio"):
        with pytest.raises(ValueError, match="role"):
            parse_routes(bad)
