"""Attacks on the media service (issue 11 point 3), through the gateway of the running cluster.

A crafted subtitle file, an account spending past its quota, and a viewer
reading what only the studio should see, each while the well-behaved viewer
lists titles and the well-behaved studio starts uploads.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from reelstack.media.source import subtitles
from tests.attack.client import WellBehaved, assert_served, sign_in, start_upload
from tests.attack.conftest import QUOTA_UPLOADS, Accounts, Home
from tests.attack.signals import counter, wait_logged
from tests.support.wait import wait_until

pytestmark = [pytest.mark.attack, pytest.mark.slow]

TITLE_HEADER = "Reelstack-Title-Id"


def _media(home: Home) -> str:
    return f"http://127.0.0.1:{home.cluster.by_id()['media-a-1']['port']}"


def _refusals(home: Home, kind: str) -> float:
    return counter(_media(home), "media_refusals_total", kind=kind)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}


def test_a_crafted_subtitle_file_while_a_viewer_lists_titles(
    home: Home, accounts: Accounts, good: WellBehaved
) -> None:
    # The shape the old `(.*?)\s*-->\s*(\S+)` took minutes over: a long run of
    # spaces before the arrow; and the worst allowed lines, repeated up to the
    # size cap, which must parse (linearly) rather than be refused.
    over_the_line_cap = b"1\n0" + b" " * 80_000 + b"-->\n"
    spaces = b"00:00:01,000" + b" " * (subtitles.MAX_LINE_CHARS - 40) + b"--> 00:00:02,000"
    block = b"1\n" + spaces + b"\n<" + b"a" * (subtitles.MAX_LINE_CHARS - 1) + b"\n\n"
    under_every_cap = block * (subtitles.MAX_BYTES // len(block))
    with httpx.Client(base_url=home.gateway, timeout=120) as client:
        token = sign_in(client, accounts.mallory)
        made = start_upload(client, token)
        assert made.status_code == 201, made.text
        title = made.headers[TITLE_HEADER]
        path = f"/api/media/titles/{title}/subtitles/en"
        before = _refusals(home, "subtitle")
        with good.beside() as seen:
            refused = client.put(path, content=over_the_line_cap, headers=_auth(token))
            parsed = client.put(path, content=under_every_cap, headers=_auth(token))
        client.delete(made.headers["Location"], headers=_auth(token))
    assert refused.status_code == 400, refused.text
    assert f"longer than {subtitles.MAX_LINE_CHARS} characters" in refused.json()["detail"]
    assert parsed.status_code == 200, parsed.text
    assert _refusals(home, "subtitle") - before == 1
    wait_logged(
        home.cluster.home,
        "media-a-1",
        "reelstack.media.source.refusals",
        f"longer than {subtitles.MAX_LINE_CHARS} characters",
    )
    assert_served(seen)


def test_an_account_over_its_upload_quota_is_refused_while_another_uploads(
    home: Home, accounts: Accounts, good: WellBehaved
) -> None:
    with httpx.Client(base_url=home.gateway, timeout=60) as client:
        token = sign_in(client, accounts.mallory)
        before = _refusals(home, "quota:uploads")
        with good.beside() as seen:
            answers = [start_upload(client, token) for _ in range(QUOTA_UPLOADS + 2)]
        for answer in answers:
            if answer.status_code == 201:
                client.delete(answer.headers["Location"], headers=_auth(token))
    statuses = [answer.status_code for answer in answers]
    assert statuses == [201] * QUOTA_UPLOADS + [429, 429], statuses
    detail = answers[-1].json()["detail"]
    assert f"quota uploads (limit {QUOTA_UPLOADS}) exceeded" in detail, detail
    assert _refusals(home, "quota:uploads") - before == 2
    wait_logged(
        home.cluster.home, "media-a-1", "reelstack.media.source.refusals", "(quota:uploads)"
    )
    assert_served(seen)


def _listed(client: httpx.Client, headers: dict[str, str]) -> tuple[set[str], str]:
    answer = client.get("/api/media/titles", params={"limit": 500}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {title["id"] for title in answer.json()["titles"]}, answer.text


def test_the_public_listing_shows_no_unpublished_title_and_no_server_path(
    home: Home, accounts: Accounts, good: WellBehaved
) -> None:
    with httpx.Client(base_url=home.gateway, timeout=60) as client:
        studio = sign_in(client, accounts.mallory)
        viewer = sign_in(client, accounts.viewer)
        # One title left uploading, one whose "video" is noise and fails validation.
        waiting = start_upload(client, studio)
        noise = os.urandom(4096)
        failing = start_upload(client, studio, length=len(noise))
        assert waiting.status_code == failing.status_code == 201
        sent = client.patch(
            failing.headers["Location"],
            content=noise,
            headers={
                **_auth(studio),
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert sent.status_code == 204, sent.text
        failed = failing.headers[TITLE_HEADER]

        def state() -> dict[str, Any]:
            answer = client.get(f"/api/media/titles/{failed}", headers=_auth(studio))
            assert answer.status_code == 200, answer.text
            view: dict[str, Any] = answer.json()
            return view

        wait_until(
            state,
            "the noise upload refused by validation",
            done=lambda v: v["state"] in ("refused", "failed"),
        )
        unpublished = {waiting.headers[TITLE_HEADER], failed}
        with good.beside() as seen:
            # The studio sees its titles in every state: the control.
            studio_sees, _ = _listed(client, _auth(studio))
            anonymous_sees, anonymous_text = _listed(client, {})
            viewer_sees, viewer_text = _listed(client, _auth(viewer))
            by_id = client.get(f"/api/media/titles/{failed}")
        client.delete(waiting.headers["Location"], headers=_auth(studio))
    assert unpublished <= studio_sees
    assert not unpublished & anonymous_sees
    assert not unpublished & viewer_sees
    # No server path reaches anyone but the owning studio, listed or read by id.
    assert by_id.status_code in (200, 404), by_id.text
    for text in (anonymous_text, viewer_text, by_id.text):
        assert str(home.cluster.home) not in text
        assert "/uploads/" not in text and "/tmp/" not in text
    assert_served(seen)
