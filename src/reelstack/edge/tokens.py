"""Signed-URL checks for the serving path, remembered per token and prefix.

Every segment of a rendition carries the same token over the same prefix
(``TITLE/JOB/v0``), so a viewer's requests verify the same HMAC again and
again. :class:`VerifiedTokens` keeps the tokens whose MAC verified (by
token and the prefix it covers) with their expiry; a token seen again is
checked against that expiry alone. Only genuine tokens are kept, so
sending many forged ones costs an attacker an HMAC each, as before, and
fills nothing.
"""

from __future__ import annotations

from reelstack.signed_urls import SKEW_S, ExpiredError, SignatureError, UrlSigner

MAX_REMEMBERED = 10_000
"""Tokens kept before the memory is cleared (a few renditions per viewer)."""


class VerifiedTokens:
    """:meth:`UrlSigner.verify` with the tokens that verified remembered."""

    def __init__(self, signer: UrlSigner) -> None:
        self.signer = signer
        self._expires: dict[tuple[str, str], int] = {}

    def verify(self, token: str, path: str, *, now: float) -> None:
        """Check that ``token`` covers ``path`` now: SignatureError (403) or ExpiredError (410)."""
        fields = token.split(".")
        if len(fields) != 3 or not fields[1].isdigit():
            raise SignatureError("malformed URL token")
        key = (token, "/".join(path.split("/")[: int(fields[1])]))
        expires = self._expires.get(key)
        if expires is None:
            self.signer.verify(token, path, now=now)  # raises for a forged or expired one
            if len(self._expires) >= MAX_REMEMBERED:
                self._expires.clear()
            self._expires[key] = int(fields[0])
        elif now > expires + SKEW_S:
            raise ExpiredError("the signed URL has expired")
