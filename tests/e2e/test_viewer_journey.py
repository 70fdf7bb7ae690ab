"""What a viewer lives through, on a running cluster, through the gateway only.

Sign up, make an adult and a kids profile, browse and search with a typo, play
(signed manifest and segments), heartbeat, stop, resume on another device at
the saved position, hit the plan's stream limit and see the devices, and sign
out everywhere. A studio account publishes the titles; a viewer cannot. Then
every route of every service is walked with a second account's ids.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.integration.media.conftest import ClipMaker
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"


class Viewer:
    """An account signed in through the gateway, with its tokens."""

    def __init__(self, client: httpx.Client, email: str) -> None:
        self.client = client
        self.email = email

        def sign_up() -> httpx.Response:
            return client.post(
                "/api/identity/accounts", json={"email": email, "password": PASSWORD}
            )

        # 503 until the gateway has found an identity instance.
        made = wait_until(
            sign_up, "sign-up through the gateway", done=lambda r: r.status_code != 503
        )
        assert made.status_code == 201, made.text
        self.account = made.json()["id"]
        tokens = client.post("/api/identity/sessions", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        self.tokens: dict[str, Any] = tokens.json()
        self.profile: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def add_profile(self, name: str, **fields: Any) -> str:
        made = self.call("POST", "/api/identity/profiles", json={"name": name, **fields})
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def enter(self, profile_id: str) -> None:
        answer = self.client.post(
            "/api/identity/sessions/refresh",
            json={"refresh_token": self.tokens["refresh_token"], "profile_id": profile_id},
        )
        assert answer.status_code == 200, answer.text
        self.tokens = answer.json()
        self.profile = profile_id


def _gateway(cluster: Cluster) -> str:
    return f"http://127.0.0.1:{cluster.by_id()['gateway-a-1']['port']}"


def _ingest(cluster: Cluster, clip: Path, title: str, rating: str) -> dict[str, Any]:
    result = cluster.cli(
        "ingest", str(clip), "--title", title, "--rating", rating, "--json", timeout=600
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    assert out["state"] == "ready", out
    return out


def _heartbeat(viewer: Viewer, title_id: str, position_s: float, device: str) -> None:
    answer = viewer.call(
        "PUT",
        f"/api/history/profiles/{viewer.profile}/bookmarks/{title_id}",
        json={
            "position_s": position_s,
            "duration_s": 10.0,
            "device": device,
            "watched_at": datetime.now(UTC).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def clip(clips: ClipMaker) -> Path:
    return clips.video(
        "journey.mp4", size="320x180", vcodec=("-c:v", "libx264", "-preset", "ultrafast")
    )


def _play(viewer: Viewer, title_id: str, device: str) -> httpx.Response:
    return viewer.call(
        "POST",
        "/api/playback/plays",
        json={"title_id": title_id, "device": {"id": device, "name": f"{device} browser"}},
    )


def _fetch_segment(client: httpx.Client, manifest_url: str) -> tuple[str, str]:
    """Follow a master playlist to a variant and a segment; return their URLs."""
    master = client.get(manifest_url)
    assert master.status_code == 200, master.text
    assert master.text.startswith("#EXTM3U")
    variant_uri = next(
        line for line in master.text.splitlines() if line and not line.startswith("#")
    )
    variant_url = str(httpx.URL(manifest_url).join(variant_uri))
    variant = client.get(variant_url)
    assert variant.status_code == 200, variant.text
    segment_uri = next(
        line for line in variant.text.splitlines() if line and not line.startswith("#")
    )
    segment_url = str(httpx.URL(variant_url).join(segment_uri))
    segment = client.get(segment_url)
    assert segment.status_code == 200 and segment.content, segment.status_code
    return variant_url, segment_url


def test_a_viewers_journey(new_cluster: Cluster, clip: Path) -> None:
    cluster = new_cluster
    cluster.env.update(
        REELSTACK_MEDIA_LADDER_MODE="fixed",
        REELSTACK_MEDIA_TOP_MAX_HEIGHT="240",
        # Announcements every second so the catalog hears of titles quickly.
        REELSTACK_MEDIA_ANNOUNCE_S="1",
        # Home page rows rebuilt every second from the plays counted.
        REELSTACK_RECOMMENDATIONS_BUILD_S="1",
    )
    cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    cluster.wait_all_up(within_s=UP_TIMEOUT_S)
    family = _ingest(cluster, clip, "Owl Friends Forever", "TV-Y")
    mature = _ingest(cluster, clip, "Midnight Harbor", "TV-MA")

    with httpx.Client(base_url=_gateway(cluster), timeout=30) as client:
        ann = Viewer(client, "ann@example.com")
        adult = ann.add_profile("Ann")
        kid = ann.add_profile("Kid", kids=True, maturity="kids")
        ann.enter(adult)

        # Browse: both titles reach the catalog from media's announcements.
        def listed() -> set[str]:
            answer = ann.call("GET", "/api/catalog/titles")
            if answer.status_code != 200:
                return set()
            return {item["id"] for item in answer.json()["items"]}

        wait_until(
            lambda: {family["title_id"], mature["title_id"]} <= listed(),
            "the catalog listing both titles",
        )
        # Search as you type, with a typo.
        found = ann.call("GET", "/api/catalog/search", params={"q": "midnite harbor"})
        assert found.status_code == 200, found.text
        assert mature["title_id"] in [item["id"] for item in found.json()["items"]]

        # Play: a signed manifest, variants and segments behind it.
        started = _play(ann, mature["title_id"], "laptop")
        assert started.status_code == 201, started.text
        play = started.json()
        assert play["resume_s"] == 0
        _, segment_url = _fetch_segment(client, play["manifest_url"])
        # The same segment without its signature, or with it tampered, is refused.
        token = segment_url.split("/media/s/", 1)[1].split("/", 1)[0]
        tampered = segment_url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        assert client.get(tampered).status_code == 403
        unsigned = segment_url.replace(f"/media/s/{token}/", "/media/files/")
        assert client.get(unsigned).status_code in (403, 404)

        # Heartbeats: the lease is kept and the bookmark saved; stop frees the slot.
        beat = ann.call("PUT", f"/api/playback/plays/{play['play_id']}/heartbeat")
        assert beat.status_code == 200, beat.text
        _heartbeat(ann, mature["title_id"], 4.0, "laptop")
        assert ann.call("DELETE", f"/api/playback/plays/{play['play_id']}").status_code == 204

        # Resume on another device at the saved position.
        again = _play(ann, mature["title_id"], "phone")
        assert again.status_code == 201, again.text
        assert again.json()["resume_s"] == pytest.approx(4.0)

        # The plan's stream limit (Basic: one stream) and the devices holding it.
        assert (
            ann.call("PUT", "/api/identity/accounts/me/plan", json={"plan": "basic"}).status_code
            == 200
        )
        third = _play(ann, family["title_id"], "tv")
        assert third.status_code == 409, third.text
        assert [d["device_id"] for d in third.json()["devices"]] == ["phone"]
        ann.call("DELETE", f"/api/playback/plays/{again.json()['play_id']}")
        assert _play(ann, family["title_id"], "tv").status_code == 201

        # The home page: the titles Ann played are trending and in her region's
        # top 10; what she was watching is in her rows.
        def row_ids(viewer: Viewer) -> dict[str, list[str]]:
            answer = viewer.call("GET", f"/api/recommendations/profiles/{viewer.profile}/rows")
            if answer.status_code != 200:
                return {}  # not found through the gateway yet
            return {r["id"]: [i["id"] for i in r["items"]] for r in answer.json()["rows"]}

        played = {family["title_id"], mature["title_id"]}
        home = wait_until(
            lambda: row_ids(ann),
            "the plays counted in the home page rows",
            done=lambda rows: played <= set(rows.get("trending", ())),
        )
        assert played <= set(home["top10"])

        # Another account's ids, on every route of every service that names a
        # profile or a play: 404, and nothing of Ann's changes.
        bob = Viewer(client, "bob@example.com")
        bob.enter(bob.add_profile("Bob"))
        live = _play(ann, family["title_id"], "tv")  # the same device replaces its own play
        assert live.status_code == 201, live.text
        walked = _walk_with_foreign_ids(
            cluster,
            client,
            bob,
            {
                "profile_id": adult,
                "play_id": live.json()["play_id"],
                "title_id": mature["title_id"],
            },
        )
        assert walked >= 10
        assert ann.call("GET", f"/api/identity/profiles/{adult}").json()["name"] == "Ann"
        kept = ann.call("PUT", f"/api/playback/plays/{live.json()['play_id']}/heartbeat")
        assert kept.status_code == 200, kept.text

        # A kids profile never sees the mature title: lists, search, direct id, play.
        ann.enter(kid)
        assert mature["title_id"] not in listed() and family["title_id"] in listed()
        hidden = ann.call("GET", "/api/catalog/search", params={"q": "midnight"})
        assert mature["title_id"] not in [item["id"] for item in hidden.json()["items"]]
        assert ann.call("GET", f"/api/catalog/titles/{mature['title_id']}").status_code == 404
        assert _play(ann, mature["title_id"], "tablet").status_code == 404
        kid_rows = row_ids(ann)
        assert kid_rows["trending"] == [family["title_id"]]
        assert all(mature["title_id"] not in ids for ids in kid_rows.values())

        # Sign out everywhere: no session of the account can be refreshed.
        assert ann.call("DELETE", "/api/identity/sessions").status_code == 204
        refreshed = client.post(
            "/api/identity/sessions/refresh", json={"refresh_token": ann.tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401


# Sample bodies for the routes that take one, by (method, path template end):
# valid in shape, so a refusal is about whose ids they are, not the body.
def _body(method: str, template: str) -> Any:
    if template.endswith("/bookmarks/{title_id}") and method == "PUT":
        return {
            "position_s": 1.0,
            "duration_s": 10.0,
            "device": "attacker",
            "watched_at": datetime.now(UTC).isoformat(),
        }
    if template.endswith("/thumbs/{title_id}") and method == "PUT":
        return {"value": "down"}
    if template.endswith("/profiles/{profile_id}") and method == "PATCH":
        return {"name": "Taken over"}
    return None


OWNED = ("{profile_id}", "{play_id}")


def _walk_with_foreign_ids(
    cluster: Cluster, client: httpx.Client, intruder: Viewer, ids: dict[str, str]
) -> int:
    """Call every route naming a profile or play with another account's ids; all must be 404."""
    from reelstack import services, settings

    config = settings.load(environ={**cluster.env, "REELSTACK_HOME": str(cluster.home)})
    routes = list(services.routes(config))
    instances = {v["service"]: v for v in cluster.instances() if v["state"] == "up"}
    walked = 0
    failures: list[str] = []
    for service in sorted({r.service for r in routes}):
        view = instances[service]
        spec = httpx.get(f"http://127.0.0.1:{view['port']}/openapi.json", timeout=30)
        if spec.status_code != 200:
            continue  # not a FastAPI service (the gateway, the registry)
        for template, operations in spec.json()["paths"].items():
            if not any(owned in template for owned in OWNED):
                continue
            mine = [
                r
                for r in routes
                if r.service == service and template.startswith(r.rewrite or r.prefix)
            ]
            route = max(mine, key=lambda r: len(r.rewrite or r.prefix))
            if route.public or route.public_methods:
                continue  # a capability URL (a signed manifest): its token is the credential
            public_path = route.prefix + template[len(route.rewrite or route.prefix) :]
            path = public_path
            for name, value in ids.items():
                path = path.replace("{" + name + "}", value)
            for method in operations:
                answer = intruder.call(method.upper(), path, json=_body(method.upper(), template))
                walked += 1
                if answer.status_code != 404:
                    failures.append(
                        f"{method.upper()} {path}: {answer.status_code} {answer.text[:80]}"
                    )
    assert failures == [], "\n".join(failures)
    return walked
