"""A client for the supervisor's control API, for the CLI and tests.

Answers are translated into reelstack's errors: 400 ``InvalidRequestError``,
404 ``NotFoundError``, 409 ``ConflictError``, 503 or no answer
``UnavailableError``; a refusal by the API's guard (401, 403, 415) raises
``ReelstackError`` with its reason. The token comes from
``<home>/cluster/control.token`` (:mod:`reelstack.cluster.auth`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from reelstack.cluster import auth, statefile
from reelstack.cluster.statefile import SupervisorRecord
from reelstack.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ReelstackError,
    UnavailableError,
)

# Stopping or restarting an instance waits for it to drain.
SLOW_TIMEOUT_S = 60.0


class ControlClient:
    """Calls one supervisor's control API."""

    def __init__(self, base_url: str, token: str | None, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, headers=headers)

    @classmethod
    def for_home(cls, home: Path, timeout_s: float = 5.0) -> ControlClient | None:
        """Return a client for the supervisor of ``home``, or None if none runs."""
        if not statefile.supervisor_running(home):
            return None
        record = statefile.read(home)
        if record is None:
            return None
        return cls.of(record, timeout_s)

    @classmethod
    def of(cls, record: SupervisorRecord, timeout_s: float = 5.0) -> ControlClient:
        """Return a client for the supervisor ``record`` describes, with its home's token."""
        # Without a token the API answers 401, which names the token file.
        return cls(record.control_url, auth.read(Path(record.home)), timeout_s)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, slow: bool = False
    ) -> Any:
        """Call the API; return the decoded JSON answer or raise reelstack's error for it."""
        try:
            response = self._http.request(
                method,
                path,
                json=body,
                timeout=SLOW_TIMEOUT_S if slow else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as exc:
            raise UnavailableError(
                f"the supervisor at {self.base_url} does not answer: {exc}"
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = {"detail": response.text}
        if response.status_code < 400:
            return data
        detail = str(data.get("detail", data)) if isinstance(data, dict) else str(data)
        if isinstance(data, dict) and data.get("field"):
            detail = f"{data['field']}: {detail}"
        kind: type[ReelstackError] = {
            400: InvalidRequestError,
            404: NotFoundError,
            409: ConflictError,
            503: UnavailableError,
        }.get(response.status_code, ReelstackError)
        raise kind(detail)

    def health(self) -> dict[str, Any]:
        """Return the supervisor's own health."""
        result: dict[str, Any] = self.request("GET", "/health")
        return result

    def instances(self) -> list[dict[str, Any]]:
        """Return every instance's view."""
        result: list[dict[str, Any]] = self.request("GET", "/instances")["instances"]
        return result

    def instance(self, instance_id: str) -> dict[str, Any]:
        """Return one instance's view."""
        result: dict[str, Any] = self.request("GET", f"/instances/{instance_id}")
        return result

    def command(self, instance_id: str, action: str) -> dict[str, Any]:
        """Run ``kill``, ``restart``, ``stop`` or ``start`` on an instance."""
        result: dict[str, Any] = self.request(
            "POST", f"/instances/{instance_id}/{action}", slow=True
        )
        return result

    def scale(self, service: str, count: int, version: str | None = None) -> list[dict[str, Any]]:
        """Grow or shrink a service's group; return the group."""
        body: dict[str, Any] = {"count": count}
        if version is not None:
            body["version"] = version
        result: list[dict[str, Any]] = self.request(
            "POST", f"/services/{service}/scale", body, slow=True
        )["instances"]
        return result

    def start_version(self, service: str, version: str, count: int = 1) -> list[dict[str, Any]]:
        """Add instances of a service running ``version``; return them."""
        result: list[dict[str, Any]] = self.request(
            "POST", f"/services/{service}/versions", {"version": version, "count": count}
        )["instances"]
        return result

    def remove_version(self, service: str, version: str) -> list[str]:
        """Stop and remove a version's instances; return their ids."""
        result: list[str] = self.request(
            "DELETE", f"/services/{service}/versions/{version}", slow=True
        )["removed"]
        return result

    def shutdown(self) -> dict[str, Any]:
        """Ask the supervisor to stop every instance and itself."""
        result: dict[str, Any] = self.request("POST", "/shutdown")
        return result

    def prometheus_targets(self) -> list[dict[str, Any]]:
        """Return the Prometheus service discovery groups."""
        result: list[dict[str, Any]] = self.request("GET", "/prometheus/targets")
        return result
