"""A small HTTP client of the media service: tus uploads, titles, jobs.

What ``reelstack ingest`` and ``reelstack demo`` use. Uploads follow tus
1.0: create, then PATCH chunks from the offset the server reports, resuming
from HEAD's offset after a failed chunk (a few times), so a dropped
connection or a restarted media instance costs one chunk at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from reelstack.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ReelstackError,
    UnavailableError,
)
from reelstack.media.ingest.uploads import encode_metadata

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS = "/api/media/uploads"
CHUNK_RETRIES = 5
RETRY_PAUSE_S = 0.5

Progress = Callable[[int, int], None]
TITLES_PAGE = 500


class MediaClient:
    """Calls one media service (an instance, or the gateway in front of them)."""

    def __init__(self, base_url: str, *, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        # The operator's tool: it sees titles in every state, as a studio does
        # (the gateway replaces this header with the token's roles).
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout_s, headers={"x-roles": "studio"}
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MediaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise UnavailableError(
                f"the media service at {self.base_url} does not answer: {exc}"
            ) from exc
        if response.status_code < 400:
            return response
        try:
            detail = str(response.json().get("detail", response.text))
        except ValueError:
            detail = response.text.strip() or response.reason_phrase
        kind: type[ReelstackError] = {
            400: InvalidRequestError,
            404: NotFoundError,
            409: ConflictError,
            413: InvalidRequestError,
            503: UnavailableError,
        }.get(response.status_code, ReelstackError)
        raise kind(f"{method} {path}: {response.status_code} {detail}")

    # -- uploads -------------------------------------------------------------------

    def create_upload(self, length: int, metadata: Mapping[str, str]) -> tuple[str, str]:
        """Create an upload; return its path and the title id it becomes."""
        response = self._call(
            "POST",
            UPLOADS,
            headers={
                **TUS,
                "Upload-Length": str(length),
                "Upload-Metadata": encode_metadata(dict(metadata)),
            },
        )
        return response.headers["Location"], response.headers["Reelstack-Title-Id"]

    def offset(self, location: str) -> int:
        """Where the upload stands on the server."""
        return int(self._call("HEAD", location, headers=TUS).headers["Upload-Offset"])

    def send(
        self,
        location: str,
        path: Path,
        *,
        chunk_bytes: int,
        on_progress: Progress | None = None,
    ) -> None:
        """Send the file from the server's offset to the end, chunk by chunk."""
        size = path.stat().st_size
        failures = 0
        offset = self.offset(location)
        with path.open("rb") as handle:
            while offset < size:
                handle.seek(offset)
                chunk = handle.read(chunk_bytes)
                try:
                    response = self._call(
                        "PATCH",
                        location,
                        headers={
                            **TUS,
                            "Upload-Offset": str(offset),
                            "Content-Type": "application/offset+octet-stream",
                        },
                        content=chunk,
                    )
                    offset = int(response.headers["Upload-Offset"])
                    failures = 0
                except (InvalidRequestError, NotFoundError):
                    raise  # refused for good: too large, or the upload is gone
                except ReelstackError:
                    # 409 (offset moved), 423 (busy), a lost connection: retried.
                    failures += 1
                    if failures > CHUNK_RETRIES:
                        raise
                    # A lost connection or a restarted instance: ask where it stands.
                    time.sleep(RETRY_PAUSE_S * failures)
                    offset = self.offset(location)
                if on_progress is not None:
                    on_progress(offset, size)

    def upload(
        self,
        path: Path,
        metadata: Mapping[str, str],
        *,
        chunk_bytes: int,
        before_data: Callable[[str], None] | None = None,
        on_progress: Progress | None = None,
    ) -> str:
        """Upload a file as a new title; return the title id.

        ``before_data(title_id)`` runs once the title exists and before its
        bytes go, e.g. to add subtitles that the encoding job should include.
        """
        location, title_id = self.create_upload(path.stat().st_size, metadata)
        if before_data is not None:
            before_data(title_id)
        self.send(location, path, chunk_bytes=chunk_bytes, on_progress=on_progress)
        return title_id

    # -- titles and jobs -----------------------------------------------------------

    def put_subtitles(self, title_id: str, language: str, data: bytes) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT", f"/api/media/titles/{title_id}/subtitles/{language}", content=data
        ).json()
        return result

    def put_artwork(self, title_id: str, kind: str, data: bytes) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT", f"/api/media/titles/{title_id}/artwork/{kind}", content=data
        ).json()
        return result

    def title(self, title_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/api/media/titles/{title_id}").json()
        return result

    def titles(self, **filters: str) -> list[dict[str, Any]]:
        """Every title matching ``filters``, following the listing's pages."""
        result: list[dict[str, Any]] = []
        params: dict[str, str] = {**filters, "limit": str(TITLES_PAGE)}
        while True:
            page = self._call("GET", "/api/media/titles", params=params).json()
            result += page["titles"]
            if not page.get("next_cursor"):
                return result
            params["cursor"] = page["next_cursor"]

    def delete_title(self, title_id: str) -> None:
        self._call("DELETE", f"/api/media/titles/{title_id}")

    def job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/api/media/jobs/{job_id}").json()
        return result
