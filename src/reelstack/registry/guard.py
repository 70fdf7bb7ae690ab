"""The registry's door: every write proves which service sends it (see registry_credentials).

A refusal answers 401 or 403 with the reason, logs a warning naming the
caller's address, the claimed service and the application it tried to
write, and counts in ``registry_write_refusals{reason}``.
"""

from __future__ import annotations

import logging
from collections import Counter

from starlette.requests import Request
from starlette.responses import Response

from reelstack.chassis.responses import json_response
from reelstack.registry_credentials import CredentialChecker, CredentialError

log = logging.getLogger(__name__)


class WriteGuard:
    """Checks registry writes and keeps count of the refused ones."""

    def __init__(self, checker: CredentialChecker) -> None:
        self.checker = checker
        self.refusals: Counter[str] = Counter()

    def app_writer(self, request: Request, app: str) -> str | Response:
        """Return the writer of ``app``'s instances, or the refusal to answer."""
        try:
            return self.checker.check_app(request.headers.get("authorization"), app)
        except CredentialError as exc:
            return self.refuse(request, exc, target=app.lower())

    def peer(self, request: Request) -> str | Response:
        """Return the peer registry replicating, or the refusal to answer."""
        try:
            return self.checker.check_peer(request.headers.get("authorization"))
        except CredentialError as exc:
            return self.refuse(request, exc, target="peer replication")

    def refuse(self, request: Request, exc: CredentialError, *, target: str) -> Response:
        """Count, log and answer a refused write."""
        self.refusals[exc.reason] += 1
        client = request.client.host if request.client else "?"
        log.warning(
            "registry write refused (%s): %s %s from %s: %s",
            exc.reason,
            request.method,
            request.url.path,
            client,
            exc.description,
            extra={"reason": exc.reason, "target": target, "client": client},
        )
        response = json_response(
            {
                "error": "Unauthorized" if exc.status == 401 else "Forbidden",
                "detail": exc.description,
            },
            exc.status,
        )
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="registry"'
        return response
