"""The caller as the gateway named it: read once, forwarded as it came, never guessed."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from reelstack.chassis.caller import IDENTITY_HEADERS, Caller
from reelstack.errors import InvalidRequestError

GATEWAY = {
    "x-account-id": "acc_1",
    "x-profile-id": "prof-2",
    "x-roles": "viewer,studio",
    "x-maturity": "kids",
    "x-region": "GB",
}


def test_the_gateways_headers_are_read_and_forwarded_unchanged() -> None:
    caller = Caller.from_headers(GATEWAY)
    assert caller == Caller(
        account="acc_1",
        profile="prof-2",
        roles=frozenset({"viewer", "studio"}),
        maturity="kids",
        region="GB",
    )
    assert caller.headers() == {**GATEWAY, "x-roles": "studio,viewer"}
    assert set(caller.headers()) == set(IDENTITY_HEADERS)


def test_a_request_around_the_gateway_names_nobody() -> None:
    caller = Caller.from_headers({})
    assert caller == Caller()
    assert caller.headers() == {}
    with pytest.raises(HTTPException) as refused:
        caller.require_account()
    assert refused.value.status_code == 401
    assert "x-account-id" in str(refused.value.detail)


@pytest.mark.parametrize("bad", ["", "a" * 129, "acc 1", "acc/../x", "acc\x00"])
def test_an_id_that_cannot_be_one_is_absent(bad: str) -> None:
    caller = Caller.from_headers({"x-account-id": bad, "x-profile-id": bad})
    assert caller.account is None and caller.profile is None


@pytest.mark.parametrize("header", ["x-maturity", "x-region", "x-roles"])
@pytest.mark.parametrize("bad", ["kids!", "k" * 33, "adults, teens;"])
def test_a_malformed_maturity_region_or_role_is_refused_not_dropped(header: str, bad: str) -> None:
    # Dropped, a maturity would read as "no limit" to a service that defaults to adults.
    with pytest.raises(InvalidRequestError, match=header):
        Caller.from_headers({**GATEWAY, header: bad})
