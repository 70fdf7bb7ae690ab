"""Signed media URLs: a token covers a path prefix until its expiry, and nothing else."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.signed_urls import (
    SKEW_S,
    ExpiredError,
    SignatureError,
    UrlSigner,
    home_key,
    signer_for,
)

SIGNER = UrlSigner(b"k" * 32)
NOW = 1_800_000_000


def _split(url: str) -> tuple[str, str]:
    token, _, path = url.removeprefix("/media/s/").partition("/")
    return token, path


def test_a_token_covers_every_file_under_its_folder_until_it_expires() -> None:
    token, path = _split(SIGNER.url("t1/j1/v0", "index.m3u8", expires=NOW + 60))
    assert path == "t1/j1/v0/index.m3u8"
    for inside in (path, "t1/j1/v0/seg_00001.m4s", "t1/j1/v0/init.mp4"):
        SIGNER.verify(token, inside, now=NOW)


@pytest.mark.parametrize(
    "elsewhere",
    ["t1/j1/v1/seg_00001.m4s", "t2/j1/v0/seg_00001.m4s", "t1/j1/master.m3u8", "t1/j1"],
)
def test_a_token_does_not_cover_another_folder(elsewhere: str) -> None:
    token, _ = _split(SIGNER.url("t1/j1/v0", "index.m3u8", expires=NOW + 60))
    with pytest.raises(SignatureError):
        SIGNER.verify(token, elsewhere, now=NOW)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(str(NOW + 60), str(NOW + 6000)),  # a later expiry
        lambda t: f"{t.split('.')[0]}.2.{t.split('.')[2]}",  # a shallower prefix
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another MAC
        lambda t: "garbage",
        lambda t: "1.1.",
    ],
)
def test_a_tampered_token_is_refused(tamper: Callable[[str], str]) -> None:
    token, path = _split(SIGNER.url("t1/j1/v0", "index.m3u8", expires=NOW + 60))
    with pytest.raises(SignatureError):
        SIGNER.verify(tamper(token), path, now=NOW)


def test_another_key_does_not_verify() -> None:
    token, path = _split(SIGNER.url("t1", "j1/master.m3u8", expires=NOW + 60))
    with pytest.raises(SignatureError):
        UrlSigner(b"x" * 32).verify(token, path, now=NOW)


def test_an_expired_token_is_honoured_only_within_the_clock_skew() -> None:
    token, path = _split(SIGNER.url("t1/j1/v0", "index.m3u8", expires=NOW))
    SIGNER.verify(token, path, now=NOW + SKEW_S)
    with pytest.raises(ExpiredError):
        SIGNER.verify(token, path, now=NOW + SKEW_S + 1)
    assert SKEW_S <= 30


@pytest.mark.parametrize("bad", ["t1/../t2", "/", "t1//v0", "./t1"])
def test_a_prefix_with_dot_segments_cannot_be_signed(bad: str) -> None:
    with pytest.raises(SignatureError):
        SIGNER.token(bad, expires=NOW)


def test_processes_starting_together_share_one_home_key(tmp_path: Path) -> None:
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(home_key(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert (tmp_path / "secrets" / "url_secret").stat().st_mode & 0o077 == 0
    assert home_key(tmp_path) == keys[0]


def test_the_secret_setting_never_prints(make_config: Callable[..., Config]) -> None:
    config = make_config(**{"playback.url_secret": "s" * 40})
    assert "sss" not in repr(config.get(settings.URL_SECRET))
    assert "sss" not in str(config.get(settings.URL_SECRET))


def test_a_configured_secret_reaches_child_processes_and_signs(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config(**{"playback.url_secret": "s" * 40})
    # The supervisor starts every instance with the settings it was given.
    assert config.as_env()["REELSTACK_PLAYBACK_URL_SECRET"] == "s" * 40
    assert signer_for(config).key == b"s" * 40
    assert not (tmp_path / "secrets").exists()
    # Unset, every process of the home signs with the home's key.
    assert signer_for(make_config()).key == home_key(tmp_path)
