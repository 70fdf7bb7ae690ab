"""``reelstack ingest`` against a media service: JSON fields, refusals, subtitles."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reelstack.cli.main import main
from tests.integration.media.conftest import ClipMaker

from .conftest import URL_SECRET, Server


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def point_at(server: Server) -> None:
        monkeypatch.setenv("REELSTACK_HOME", str(tmp_path / "cli-home"))
        monkeypatch.setenv("REELSTACK_MEDIA_URL", server.url)
        monkeypatch.setenv("REELSTACK_MEDIA_UPLOAD_CHUNK_BYTES", str(64 * 1024))
        monkeypatch.setenv("REELSTACK_PLAYBACK_URL_SECRET", URL_SECRET)

    return point_at


def test_ingest_json_reports_title_job_state_and_master_url(
    start_media, cli_env, clips: ClipMaker, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server = start_media()
    cli_env(server)
    source = clips.video("cli.mp4", seconds=3)
    srt = tmp_path / "cli.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    code = main(
        [
            "ingest",
            str(source),
            "--title",
            "Pilot",
            "--series",
            "Show",
            "--season",
            "1",
            "--episode",
            "1",
            "--genres",
            "Drama,Mystery",
            "--rating",
            "TV-14",
            "--subtitles",
            str(srt),
            "--lang",
            "en",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out) == {"title_id", "job_id", "state", "master_url"}
    assert out["state"] == "ready"
    # Signed for the title's folder, so any HLS player plays it and every rendition.
    assert out["master_url"].startswith(f"{server.url}/media/s/")
    assert out["master_url"].endswith(f"/{out['title_id']}/{out['job_id']}/master.m3u8")
    assert httpx.get(out["master_url"]).status_code == 200
    unsigned = f"{server.url}/media/{out['title_id']}/{out['job_id']}/master.m3u8"
    assert httpx.get(unsigned).status_code == 403
    title = server.title(out["title_id"])
    assert (title["kind"], title["series"], title["season"], title["episode"]) == (
        "episode",
        "Show",
        1,
        1,
    )
    assert title["genres"] == ["Drama", "Mystery"]
    assert title["subtitles"] == ["en"]


def test_a_refused_file_exits_non_zero_with_the_reason(
    start_media, cli_env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server = start_media()
    cli_env(server)
    fake = tmp_path / "movie.mp4"
    fake.write_text("#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n")
    code = main(["ingest", str(fake), "--title", "Playlist", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["state"] == "refused"
    assert "playlist" in out["reason"]
    assert out["master_url"] is None

    code = main(["ingest", str(fake), "--title", "Playlist again"])
    captured = capsys.readouterr()
    assert code == 1
    assert "refused" in captured.err and "playlist" in captured.err


def test_no_wait_returns_after_the_upload(
    start_media, cli_env, clips: ClipMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    server = start_media(**{"media.reconcile_s": "60"})
    cli_env(server)
    code = main(
        [
            "ingest",
            str(clips.video("nowait.mp4", seconds=2)),
            "--title",
            "Later",
            "--json",
            "--no-wait",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["state"] in ("uploading", "uploaded", "validating", "encoding")
    assert out["master_url"] is None


def test_bad_arguments_are_refused_before_any_upload(
    start_media, cli_env, clips: ClipMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    server = start_media()
    cli_env(server)
    source = clips.video("args.mp4", seconds=2)
    assert main(["ingest", str(source), "--title", "X", "--lang", "en"]) == 1
    assert "--subtitles and --lang" in capsys.readouterr().err
    assert main(["ingest", str(source), "--title", "X", "--series", "S"]) == 1
    assert "season and episode" in capsys.readouterr().err
    assert httpx.get(f"{server.url}/api/media/titles").json()["count"] == 0


@pytest.mark.slow
def test_ingest_without_a_cluster_runs_the_service_and_a_worker_itself(
    monkeypatch: pytest.MonkeyPatch,
    clips: ClipMaker,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    home = tmp_path / "solo"
    monkeypatch.setenv("REELSTACK_HOME", str(home))
    monkeypatch.delenv("REELSTACK_MEDIA_URL", raising=False)
    monkeypatch.setenv("REELSTACK_MEDIA_LADDER_MODE", "fixed")
    monkeypatch.setenv("REELSTACK_MEDIA_TOP_MAX_HEIGHT", "240")
    source = clips.video("solo.mp4", seconds=3)
    code = main(["ingest", str(source), "--title", "Solo", "--json", "--timeout", "240"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["state"] == "ready"
    # The service lived only as long as the command: the URL is a path to serve later.
    master = f"{out['title_id']}/{out['job_id']}/master.m3u8"
    assert out["master_url"].startswith("/media/s/") and out["master_url"].endswith(master)
    assert (home / "blobs" / "media" / master).read_text().startswith("#EXTM3U")


def test_titles_lists_shows_and_deletes_what_was_ingested(
    start_media, cli_env, clips: ClipMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    server = start_media()
    cli_env(server)
    ids = []
    for name in ("First", "Second"):
        assert (
            main(["ingest", str(clips.video(f"{name}.mp4", seconds=2)), "--title", name, "--json"])
            == 0
        )
        ids.append(json.loads(capsys.readouterr().out)["title_id"])

    assert main(["titles", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == ["First", "Second"]
    assert listed[0]["master_url"].startswith(f"{server.url}/media/s/")
    assert f"/{ids[0]}/" in listed[0]["master_url"]
    assert main(["titles", "list"]) == 0
    table = capsys.readouterr().out
    assert "First" in table and "Second" in table and "ready" in table

    assert main(["titles", "show", ids[1]]) == 0
    shown = capsys.readouterr().out
    assert f"play   {server.url}/media/s/" in shown and f"/{ids[1]}/" in shown

    master = listed[0]["master_url"]
    assert main(["titles", "delete", ids[0]]) == 0
    assert f"deleted {ids[0]}" in capsys.readouterr().out
    assert httpx.get(master).status_code == 404
    assert main(["titles", "list", "--json"]) == 0
    assert [t["id"] for t in json.loads(capsys.readouterr().out)] == [ids[1]]

    # An unknown id says so and exits non-zero; the other title is untouched.
    assert main(["titles", "show", ids[0]]) == 1
    assert ids[0] in capsys.readouterr().err
    assert main(["titles", "delete", "nope"]) == 1
    assert "nope" in capsys.readouterr().err
    assert server.title(ids[1])["state"] == "ready"
