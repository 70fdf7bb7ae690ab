"""The catalog's spec and its pure rules: routes and roles, the rating table."""

from __future__ import annotations

import pytest

from reelstack import services
from reelstack.catalog.models import Maturity, allowed_ratings, may_see


def test_the_spec_is_accepted_and_studio_routes_need_the_studio_role() -> None:
    spec = services.specs(("reelstack.catalog",))["catalog"]
    assert spec.ports == ("sql", "log") and spec.migrations == "catalog"
    viewer, studio = spec.gateway_routes()
    assert viewer.prefix == "/api/catalog" and viewer.rewrite == "/catalog"
    assert not viewer.public and not viewer.public_methods and not viewer.roles
    assert studio.prefix == "/api/catalog/studio" and studio.rewrite == "/catalog/studio"
    assert studio.roles == frozenset({"studio", "admin"}) and not studio.public_methods
    assert (
        "/api/catalog/studio=catalog;rewrite=/catalog/studio;role=studio/admin"
        in (spec.route_text()[1])
    )


@pytest.mark.parametrize(
    ("level", "ratings"),
    [
        (Maturity.KIDS, {"TV-Y", "TV-G", "G"}),
        (Maturity.OLDER_KIDS, {"TV-Y", "TV-G", "G", "TV-PG", "PG"}),
        (Maturity.TEENS, {"TV-Y", "TV-G", "G", "TV-PG", "PG", "TV-14", "PG-13"}),
    ],
)
def test_each_level_sees_its_ratings_and_those_below(level: Maturity, ratings: set[str]) -> None:
    assert allowed_ratings(level) == ratings
    assert not may_see(level, "TV-MA") and not may_see(level, "made-up")


def test_adults_see_everything_even_an_unknown_rating() -> None:
    assert allowed_ratings(Maturity.ADULTS) is None
    assert may_see(Maturity.ADULTS, "NC-17") and may_see(Maturity.ADULTS, "made-up")
