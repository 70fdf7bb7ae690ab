"""Issue 11: a crafted subtitle file is refused with its reason, and counted."""

from __future__ import annotations

import httpx

from reelstack.media.source import subtitles

from .test_tus import create


def test_a_crafted_subtitle_file_is_refused_and_counted(start_media) -> None:
    server = start_media()
    title_id = create(server, 1000, title="Subtitled").headers["Reelstack-Title-Id"]
    url = f"{server.url}/api/media/titles/{title_id}/subtitles/en"
    # The line that made the old cue-timing pattern backtrack for minutes.
    crafted = b"1\n0" + b" " * 80_000 + b"-->\n"
    refused = httpx.put(url, content=crafted, headers={"x-roles": "studio"}, timeout=30)
    assert refused.status_code == 400
    assert f"longer than {subtitles.MAX_LINE_CHARS} characters" in refused.json()["detail"]
    oversized = httpx.put(url, content=b"x" * (subtitles.MAX_BYTES + 1), timeout=30)
    assert oversized.status_code == 400
    assert f"larger than {subtitles.MAX_BYTES} bytes" in oversized.json()["detail"]
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'media_refusals_total{kind="subtitle"} 1.0' in metrics
    fine = b"1\n00:00:01,000 --> 00:00:02,000\nHello\n"
    assert httpx.put(url, content=fine, timeout=30).status_code == 200
