"""Profile routes: scoped to the caller, another account's ids answer 404, inputs bounded."""

from __future__ import annotations

import httpx

from reelstack.gateway.auth import TokenVerifier, parse_jwks
from tests.unit.identity.conftest import caller, sign_up_and_in


async def test_profiles_are_created_listed_changed_and_deleted(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    made = await client.post(
        "/identity/profiles",
        json={"name": "Ann", "language": "pt-BR", "pin": "1234"},
        headers=caller(ann),
    )
    assert made.status_code == 201, made.text
    profile = made.json()
    assert (profile["maturity"], profile["has_pin"], "pin" not in profile) == ("adults", True, True)
    kids = await client.post(
        "/identity/profiles",
        json={"name": "Kid", "kids": True, "maturity": "kids"},
        headers=caller(ann),
    )
    assert kids.status_code == 201
    second_kids = await client.post(
        "/identity/profiles",
        json={"name": "Kid 2", "kids": True, "maturity": "kids"},
        headers=caller(ann),
    )
    assert second_kids.status_code == 409 and "one kids profile" in second_kids.text
    path = f"/identity/profiles/{profile['id']}"
    changed = await client.patch(path, json={"name": "Annie", "pin": None}, headers=caller(ann))
    assert changed.json()["name"] == "Annie" and changed.json()["has_pin"] is False
    listed = await client.get("/identity/profiles", headers=caller(ann))
    assert [p["name"] for p in listed.json()["profiles"]] == ["Annie", "Kid"]
    assert (await client.delete(path, headers=caller(ann))).status_code == 204
    assert (await client.get(path, headers=caller(ann))).status_code == 404


async def test_every_profile_route_refuses_another_accounts_ids(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    eve = await sign_up_and_in(client, "eve@example.com")
    made = await client.post("/identity/profiles", json={"name": "Ann"}, headers=caller(ann))
    path = f"/identity/profiles/{made.json()['id']}"
    attempts = [
        await client.get(path, headers=caller(eve)),
        await client.patch(path, json={"name": "Eve"}, headers=caller(eve)),
        await client.delete(path, headers=caller(eve)),
        await client.post(
            "/identity/sessions/refresh",
            json={"refresh_token": eve["refresh_token"], "profile_id": made.json()["id"]},
        ),
    ]
    assert [a.status_code for a in attempts] == [404, 404, 404, 404]
    assert (await client.get("/identity/profiles", headers=caller(eve))).json() == {"profiles": []}
    assert (await client.get(path, headers=caller(ann))).json()["name"] == "Ann", "untouched"
    # Without the gateway's header there is no caller at all.
    for response in (
        await client.get("/identity/profiles"),
        await client.post("/identity/profiles", json={"name": "x"}),
        await client.get(path),
    ):
        assert response.status_code == 401


async def test_profile_inputs_are_bounded(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    for body in (
        {"name": "x" * 51},
        {"name": ""},
        {"name": "A", "pin": "12345"},
        {"name": "A", "pin": "12a4"},
        {"name": "A", "language": "english, please"},
        {"name": "A", "avatar": "../../etc/passwd"},
        {"name": "A", "maturity": "everything"},
    ):
        response = await client.post("/identity/profiles", json=body, headers=caller(ann))
        assert response.status_code == 422, body
    too_mature = await client.post(
        "/identity/profiles", json={"name": "K", "kids": True}, headers=caller(ann)
    )
    assert too_mature.status_code == 400 and "kids profile" in too_mature.text
    long_id = await client.get("/identity/profiles/" + "a" * 1000, headers=caller(ann))
    assert long_id.status_code == 422
    for n in range(5):
        await client.post("/identity/profiles", json={"name": f"P{n}"}, headers=caller(ann))
    sixth = await client.post("/identity/profiles", json={"name": "P6"}, headers=caller(ann))
    assert sixth.status_code == 409 and "at most 5" in sixth.text


async def test_choosing_a_profile_puts_it_in_the_token(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    made = await client.post(
        "/identity/profiles", json={"name": "Ann", "pin": "2468"}, headers=caller(ann)
    )
    profile_id = made.json()["id"]
    body = {"refresh_token": ann["refresh_token"], "profile_id": profile_id, "pin": "1357"}
    wrong = await client.post("/identity/sessions/refresh", json=body)
    assert wrong.status_code == 401 and "wrong PIN" in wrong.text
    body["pin"] = "2468"
    entered = await client.post("/identity/sessions/refresh", json=body)
    assert entered.status_code == 200
    verifier = TokenVerifier()
    verifier.set_fetched(parse_jwks((await client.get("/.well-known/jwks.json")).json(), "id"))
    principal = verifier.verify(entered.json()["access_token"].encode())
    assert (principal.account, principal.profile) == (ann["account"], profile_id)


async def test_a_kids_profile_cannot_manage_profiles_or_the_plan(
    client: httpx.AsyncClient,
) -> None:
    # Else a kids profile makes an adult profile without a PIN (or takes the
    # PIN off one, or raises its own maturity) and enters it.
    ann = await sign_up_and_in(client, "ann@example.com")
    adult = (
        await client.post(
            "/identity/profiles", json={"name": "Ann", "pin": "1234"}, headers=caller(ann)
        )
    ).json()["id"]
    kid = (
        await client.post(
            "/identity/profiles",
            json={"name": "Kid", "kids": True, "maturity": "kids"},
            headers=caller(ann),
        )
    ).json()["id"]
    as_kid = caller(ann) | {"x-profile-id": kid}
    attempts = [
        await client.post("/identity/profiles", json={"name": "Grown-up"}, headers=as_kid),
        await client.patch(
            f"/identity/profiles/{kid}", json={"kids": False, "maturity": "adults"}, headers=as_kid
        ),
        await client.patch(f"/identity/profiles/{adult}", json={"pin": None}, headers=as_kid),
        await client.delete(f"/identity/profiles/{adult}", headers=as_kid),
        await client.put("/identity/accounts/me/plan", json={"plan": "premium"}, headers=as_kid),
    ]
    assert [a.status_code for a in attempts] == [403] * 5, [a.text for a in attempts]
    assert all("cannot manage profiles" in a.json()["detail"] for a in attempts)
    listed = (await client.get("/identity/profiles", headers=as_kid)).json()["profiles"]
    assert [(p["name"], p["maturity"], p["has_pin"]) for p in listed] == [
        ("Ann", "adults", True),
        ("Kid", "kids", False),
    ]
    # The adult profile's token, and the account's own, may.
    as_adult = caller(ann) | {"x-profile-id": adult}
    renamed = await client.patch(
        f"/identity/profiles/{kid}", json={"name": "Kiddo"}, headers=as_adult
    )
    assert renamed.status_code == 200, renamed.text
    plan = await client.put(
        "/identity/accounts/me/plan", json={"plan": "premium"}, headers=caller(ann)
    )
    assert plan.status_code == 200, plan.text
