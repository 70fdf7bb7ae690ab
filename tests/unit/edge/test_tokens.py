"""Remembered signed-URL checks refuse exactly what the signer refuses."""

from __future__ import annotations

import pytest

from reelstack.edge.tokens import VerifiedTokens
from reelstack.signed_urls import ExpiredError, SignatureError, UrlSigner

SIGNER = UrlSigner(b"edge-test-key-0123456789abcdef")


def test_a_genuine_token_is_remembered_and_its_expiry_still_applies() -> None:
    tokens = VerifiedTokens(SIGNER)
    token = SIGNER.token("t1/j1/v0", expires=1000)
    tokens.verify(token, "t1/j1/v0/seg_1.m4s", now=900)
    assert len(tokens._expires) == 1
    tokens.verify(token, "t1/j1/v0/seg_2.m4s", now=1020)  # same prefix, within the skew
    assert len(tokens._expires) == 1
    with pytest.raises(ExpiredError):
        tokens.verify(token, "t1/j1/v0/seg_3.m4s", now=1031)


def test_a_remembered_token_does_not_cover_another_prefix() -> None:
    tokens = VerifiedTokens(SIGNER)
    token = SIGNER.token("t1/j1/v0", expires=1000)
    tokens.verify(token, "t1/j1/v0/seg_1.m4s", now=900)
    with pytest.raises(SignatureError):
        tokens.verify(token, "t1/j1/v1/seg_1.m4s", now=900)
    with pytest.raises(SignatureError):
        tokens.verify(token, "t2/j1/v0/seg_1.m4s", now=900)


def test_forged_and_malformed_tokens_are_refused_and_never_remembered() -> None:
    tokens = VerifiedTokens(SIGNER)
    token = SIGNER.token("t1/j1/v0", expires=1000)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "1000.3", "x.3.abc", "1000.x.abc", "1000.9.abc", "1000.0.abc"):
        with pytest.raises(SignatureError):
            tokens.verify(bad, "t1/j1/v0/seg_1.m4s", now=900)
    assert tokens._expires == {}
    with pytest.raises(ExpiredError):  # genuine but expired: 410, and not remembered
        tokens.verify(SIGNER.token("t1/j1/v0", expires=100), "t1/j1/v0/s.m4s", now=900)
    assert tokens._expires == {}
