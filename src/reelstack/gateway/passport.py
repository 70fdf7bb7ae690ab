"""The passport: what happened to one request, logged as one JSON line.

Zuul 2's passport is the timeline of a request through the gateway. Here it
holds the filters that ran (with the microseconds since the request
arrived) and every attempt at a service instance (which instance, the
outcome, the status, when it started and how long it took). At the end of
the request it becomes the gateway's access line, one JSON object per
request with the chassis' usual fields (time, service, instance, request
id); with debugging enabled, a client that asks with ``X-Reelstack-Debug: 1``
gets it back in the ``X-Reelstack-Passport`` response header.

Lines are written in batches, as nginx's ``access_log ... buffer= flush=``
does: a gateway writes one line per request, and a write per line would cost
it more than any filter. A batch goes out when it reaches 64 KiB or 100 ms
after its first line, whichever comes first, and at shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
from time import perf_counter
from typing import Any

from reelstack.chassis import logs
from reelstack.chassis.logs import AccessLog

log = logging.getLogger(__name__)

FLUSH_BYTES = 64 * 1024
FLUSH_S = 0.1


class Passport:
    """The timeline of one request: filter marks and upstream attempts."""

    __slots__ = ("attempts", "marks", "start")

    def __init__(self, start: float) -> None:
        self.start = start  # perf_counter() when the request head was parsed
        self.marks: list[tuple[str, float]] = []
        self.attempts: list[tuple[str, str, int, float, float]] = []

    def mark(self, event: str) -> None:
        """Record that ``event`` happened now."""
        self.marks.append((event, perf_counter()))

    def attempt(self, instance: str, outcome: str, status: int, began: float) -> None:
        """Record one attempt at an instance: outcome, status (0: none) and duration."""
        self.attempts.append((instance, outcome, status, began, perf_counter()))

    def timeline(self) -> list[tuple[str, int]]:
        """Return the marks as ``(event, us)`` pairs, microseconds since the request arrived."""
        start = self.start
        return [(event, int((at - start) * 1e6)) for event, at in self.marks]

    def attempt_list(self) -> list[dict[str, Any]]:
        """Return the attempts as dicts (instance, outcome, status, at_us, us)."""
        start = self.start
        return [
            {
                "instance": instance,
                "outcome": outcome,
                "status": status,
                "at_us": int((began - start) * 1e6),
                "us": int((ended - began) * 1e6),
            }
            for instance, outcome, status, began, ended in self.attempts
        ]

    def header_value(self) -> bytes:
        """Return the passport as compact ASCII JSON for the debug response header."""
        document = {"timeline": self.timeline(), "attempts": self.attempt_list()}
        # ensure_ascii: a header value must not carry raw non-ASCII bytes.
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class PassportLog(AccessLog):
    """The gateway's access log: one JSON line per request, with its passport.

    It is the chassis' :class:`AccessLog` (same destination, same fields,
    switched by the ``logging.access`` property) with the gateway's fields
    added, and lines written in batches.
    """

    __slots__ = ("_buffer", "_size", "_timer")

    def __init__(self, context: logs.LogContext = logs.CONTEXT, sink: logs.Sink | None = None):
        super().__init__(context, sink)
        self._buffer: list[bytes] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    def write_request(
        self,
        *,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_s: float,
        client: str | None,
        request_id: str,
        account: str | None,
        passport: Passport,
        sent_bytes: int,
    ) -> None:
        """Queue the line for one finished request, unless the access log is off."""
        if not self.enabled or not self.logger.isEnabledFor(logging.INFO):
            return
        fields = self.fields(
            method=method,
            path=path,
            route=route,
            status=status,
            duration_s=duration_s,
            client=client,
            request_id=request_id,
        )
        line = logs.encode(
            {
                **fields,
                "account": account,
                "sent_bytes": sent_bytes,
                "passport": passport.timeline(),
                "attempts": passport.attempt_list() if passport.attempts else [],
            }
        )
        self._buffer.append(line)
        self._size += len(line)
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()  # no loop to flush later: write now
                return
            self._timer = loop.call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        """Write the queued lines now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._size = 0
        try:
            self.resolve_sink()(data)
        except OSError as exc:
            # As the chassis' access log does: the requests succeeded, so stop
            # writing lines rather than fail every request.
            self.enabled = False
            log.error("gateway access log disabled: cannot write: %s", exc)
