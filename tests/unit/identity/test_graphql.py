"""Identity's subgraph: the caller's account, plan and profiles; nobody else's."""

from __future__ import annotations

from typing import Any

import httpx

from tests.unit.identity.conftest import caller, sign_up_and_in


async def gql(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_me_with_plan_and_profiles_and_their_changes(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    me = caller(ann)
    made = await gql(
        client,
        'mutation { createProfile(profile: {name: "Kid", kids: true, maturity: "kids"})'
        " { id name kids maturity hasPin } }",
        me,
    )
    kid = made["data"]["createProfile"]
    assert (kid["name"], kid["kids"], kid["maturity"], kid["hasPin"]) == (
        "Kid",
        True,
        "kids",
        False,
    )
    plan = await gql(client, 'mutation { changePlan(plan: "premium") { name maxStreams } }', me)
    assert plan["data"]["changePlan"] == {"name": "premium", "maxStreams": 4}
    renamed = await gql(
        client,
        f'mutation {{ renameProfile(profileId: "{kid["id"]}", name: "Kiddo") {{ name }} }}',
        me,
    )
    assert renamed["data"]["renameProfile"] == {"name": "Kiddo"}
    body = await gql(client, "{ me { email roles plan { name } profiles { name } } }", me)
    assert body["data"]["me"] == {
        "email": "ann@example.com",
        "roles": ["viewer"],
        "plan": {"name": "premium"},
        "profiles": [{"name": "Kiddo"}],
    }


async def test_another_accounts_profile_cannot_be_changed(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    bob = await sign_up_and_in(client, "bob@example.com")
    made = await gql(
        client, 'mutation { createProfile(profile: {name: "Ann"}) { id } }', caller(ann)
    )
    ann_profile = made["data"]["createProfile"]["id"]
    for mutation in (
        f'renameProfile(profileId: "{ann_profile}", name: "Taken") {{ name }}',
        f'deleteProfile(profileId: "{ann_profile}")',
    ):
        refused = await gql(client, f"mutation {{ {mutation} }}", caller(bob))
        assert refused["data"] is None and "profile" in refused["errors"][0]["message"]
    still = await gql(client, "{ me { profiles { name } } }", caller(ann))
    assert still["data"]["me"]["profiles"] == [{"name": "Ann"}]


async def test_bad_input_and_no_account_say_why(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    bad_plan = await gql(client, 'mutation { changePlan(plan: "platinum") { name } }', caller(ann))
    assert "plan" in bad_plan["errors"][0]["message"]
    bad_pin = await gql(
        client, 'mutation { createProfile(profile: {name: "A", pin: "12"}) { id } }', caller(ann)
    )
    assert "pin" in bad_pin["errors"][0]["message"]
    nobody = await gql(client, "{ me { email } }", {})
    assert "x-account-id" in nobody["errors"][0]["message"]


async def test_a_kids_profile_cannot_change_profiles_or_the_plan(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    made = await gql(
        client,
        'mutation { a: createProfile(profile: {name: "Ann"}) { id }'
        ' k: createProfile(profile: {name: "Kid", kids: true, maturity: "kids"}) { id } }',
        caller(ann),
    )
    adult, kid = made["data"]["a"]["id"], made["data"]["k"]["id"]
    as_kid = caller(ann) | {"x-profile-id": kid}
    for mutation in (
        'createProfile(profile: {name: "Grown-up"}) { id }',
        f'renameProfile(profileId: "{kid}", name: "Boss") {{ name }}',
        f'deleteProfile(profileId: "{adult}")',
        'changePlan(plan: "premium") { name }',
    ):
        body = await gql(client, f"mutation {{ {mutation} }}", as_kid)
        assert body["data"] is None or not any(body["data"].values()), body
        assert "cannot manage profiles" in body["errors"][0]["message"], body
    me = await gql(client, "{ me { plan { name } profiles { name } } }", as_kid)
    assert me["data"]["me"] == {
        "plan": {"name": "basic"},
        "profiles": [{"name": "Ann"}, {"name": "Kid"}],
    }
