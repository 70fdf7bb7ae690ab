"""The identity routes in-process: the chassis opens the store and migrates the branch."""

from __future__ import annotations

import httpx

from reelstack.gateway.auth import TokenVerifier, parse_jwks
from tests.unit.identity.conftest import PASSWORD, sign_up_and_in


async def test_a_viewer_signs_up_in_refreshes_and_out(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    verifier = TokenVerifier()
    verifier.set_fetched(parse_jwks(jwks, "identity"))
    assert verifier.verify(ann["access_token"].encode()).account == ann["account"]
    me = await client.get("/identity/accounts/me", headers={"x-account-id": ann["account"]})
    assert me.json() == {"id": ann["account"], "email": "ann@example.com", "roles": ["viewer"]}
    refreshed = await client.post(
        "/identity/sessions/refresh", json={"refresh_token": ann["refresh_token"]}
    )
    assert refreshed.status_code == 200
    out = await client.post(
        "/identity/sessions/sign-out", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert out.status_code == 204
    again = await client.post(
        "/identity/sessions/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert again.status_code == 401


async def test_sign_up_answers_the_reason(client: httpx.AsyncClient) -> None:
    short = await client.post(
        "/identity/accounts", json={"email": "a@example.com", "password": "x"}
    )
    assert short.status_code == 400 and "at least 12" in short.json()["detail"]
    await client.post("/identity/accounts", json={"email": "a@example.com", "password": PASSWORD})
    taken = await client.post(
        "/identity/accounts", json={"email": "A@example.com", "password": PASSWORD}
    )
    assert taken.status_code == 409


async def test_oversized_bodies_are_refused_with_the_field(client: httpx.AsyncClient) -> None:
    huge = {"email": "a" * 100_000 + "@example.com", "password": PASSWORD}
    for path, body in (
        ("/identity/accounts", huge),
        ("/identity/sessions", huge),
        ("/identity/accounts", {"email": "a@example.com", "password": "p" * 10_000}),
        ("/identity/sessions/refresh", {"refresh_token": "r" * 10_000}),
    ):
        response = await client.post(path, json=body)
        assert response.status_code == 422, path
        assert "at most" in response.text


async def test_wrong_passwords_get_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await sign_up_and_in(client, "ann@example.com")
    wrong = {"email": "ann@example.com", "password": "not the password"}
    codes = [(await client.post("/identity/sessions", json=wrong)).status_code for _ in range(2)]
    assert codes == [401, 401]
    right = {"email": "ann@example.com", "password": PASSWORD}
    throttled = await client.post("/identity/sessions", json=right)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0


async def test_the_address_comes_from_the_gateways_forwarded_header(
    client: httpx.AsyncClient,
) -> None:
    # The per-address limit (50 by default) counts the x-forwarded-for client.
    headers = {"x-forwarded-for": "203.0.113.7"}
    for n in range(50):
        body = {"email": f"nobody{n}@example.com", "password": PASSWORD}
        assert (
            await client.post("/identity/sessions", json=body, headers=headers)
        ).status_code == 401
    body = {"email": "someone@example.com", "password": PASSWORD}
    assert (await client.post("/identity/sessions", json=body, headers=headers)).status_code == 429
    other = {"x-forwarded-for": "203.0.113.8"}
    assert (await client.post("/identity/sessions", json=body, headers=other)).status_code == 401


async def test_a_reused_refresh_token_ends_the_session(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    stolen = {"refresh_token": ann["refresh_token"]}
    legit = (await client.post("/identity/sessions/refresh", json=stolen)).json()
    reused = await client.post("/identity/sessions/refresh", json=stolen)
    assert reused.status_code == 401 and "revoked" in reused.json()["detail"]
    after = await client.post(
        "/identity/sessions/refresh", json={"refresh_token": legit["refresh_token"]}
    )
    assert after.status_code == 401


async def test_account_routes_need_the_gateways_caller(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    bob = await sign_up_and_in(client, "bob@example.com")
    assert (await client.get("/identity/accounts/me")).status_code == 401
    assert (await client.delete("/identity/sessions")).status_code == 401
    out = await client.delete("/identity/sessions", headers={"x-account-id": ann["account"]})
    assert out.status_code == 204
    for who, code in ((ann, 401), (bob, 200)):
        response = await client.post(
            "/identity/sessions/refresh", json={"refresh_token": who["refresh_token"]}
        )
        assert response.status_code == code
    ghost = await client.get("/identity/accounts/me", headers={"x-account-id": "f" * 32})
    assert ghost.status_code == 404
