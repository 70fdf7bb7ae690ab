"""JSON logs: one object per line on stderr, with the instance and request id.

Every line has ``time``, ``level``, ``logger``, ``message``, ``service``,
``instance`` and ``request_id``, plus any ``extra=`` fields. The access log
writes its line straight to the sink without going through the logging
module: it runs once per request, and the module's record, filter and handler
machinery costs more than the request itself for a small response.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from reelstack.chassis.requestid import request_id_var

Sink = Callable[[bytes], None]

ACCESS_LOGGER = "reelstack.access"

log = logging.getLogger(__name__)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}
)


def stderr_sink(data: bytes) -> None:
    """Write ``data`` to file descriptor 2 in full.

    One ``write`` per line keeps lines whole when several processes share the
    same file, and it bypasses ``sys.stderr``'s text layer.
    """
    view = memoryview(data)
    while view:
        written = os.write(2, view)
        view = view[written:]


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


class _Clock:
    """ISO 8601 UTC times with milliseconds, the date part formatted once a second."""

    __slots__ = ("prefix", "second")

    _MILLIS = tuple(f".{ms:03d}+00:00" for ms in range(1000))

    def __init__(self) -> None:
        self.second = -1
        self.prefix = ""

    def now(self) -> str:
        now = time.time()
        second = int(now)
        if second != self.second:
            self.prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self.second = second
        return self.prefix + self._MILLIS[int((now - second) * 1000.0)]


_clock = _Clock()


def _default(value: object) -> str:
    # orjson refuses unknown types; a log line must never fail to be written.
    return repr(value)


class LogContext:
    """Fields stamped on every line this process writes (mutable: set once the port is known)."""

    __slots__ = ("instance", "service")

    def __init__(self, service: str = "", instance: str = "") -> None:
        self.service = service
        self.instance = instance


CONTEXT = LogContext()


def encode(line: dict[str, Any]) -> bytes:
    """Return ``line`` as one JSON line."""
    return orjson.dumps(line, default=_default, option=orjson.OPT_APPEND_NEWLINE)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object (without the newline)."""

    def __init__(self, context: LogContext = CONTEXT) -> None:
        super().__init__()
        self.context = context

    def to_dict(self, record: logging.LogRecord) -> dict[str, Any]:
        """Return the fields of ``record`` as a dict."""
        line: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.context.service,
            "instance": self.context.instance,
            "request_id": request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_info"] = "".join(traceback.format_exception(*record.exc_info))
        if record.stack_info:
            line["stack_info"] = record.stack_info
        return line

    def format(self, record: logging.LogRecord) -> str:
        return orjson.dumps(self.to_dict(record), default=_default).decode()


class JsonLogHandler(logging.Handler):
    """A handler writing one JSON line per record to a byte sink (stderr by default)."""

    def __init__(self, context: LogContext = CONTEXT, sink: Sink = stderr_sink) -> None:
        super().__init__()
        self.json = JsonFormatter(context)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.sink(encode(self.json.to_dict(record)))
        except Exception:  # noqa: BLE001 - logging's contract: report via handleError
            self.handleError(record)


def configure(
    *, service: str, instance: str, level: str = "INFO", sink: Sink = stderr_sink
) -> JsonLogHandler:
    """Send every log record of this process to one JSON handler; return it."""
    CONTEXT.service = service
    CONTEXT.instance = instance
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = JsonLogHandler(CONTEXT, sink)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn configures its own loggers only when given a log_config; we
    # pass none, so its lines reach the root handler as JSON.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler


def set_level(level: str) -> None:
    """Change the log level of the whole process (a runtime property)."""
    logging.getLogger().setLevel(level)


class AccessLog:
    """Writes one JSON line per request, bypassing the logging module."""

    __slots__ = ("context", "enabled", "logger", "sink")

    def __init__(self, context: LogContext = CONTEXT, sink: Sink | None = None) -> None:
        self.context = context
        self.sink = sink
        self.enabled = True
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def write(
        self,
        *,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_s: float,
        client: str | None,
        request_id: str,
    ) -> None:
        """Write the access line for one finished request, unless disabled."""
        if not self.enabled or not self.logger.isEnabledFor(logging.INFO):
            return
        line = self.fields(
            method=method,
            path=path,
            route=route,
            status=status,
            duration_s=duration_s,
            client=client,
            request_id=request_id,
        )
        try:
            self.resolve_sink()(encode(line))
        except OSError as exc:
            # The log destination is gone (a closed pipe): the request itself
            # succeeded, so stop writing access lines instead of failing each
            # request; the ``logging.access`` property turns them back on.
            self.enabled = False
            log.error("access log disabled: cannot write: %s", exc)

    def fields(
        self,
        *,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_s: float,
        client: str | None,
        request_id: str,
    ) -> dict[str, Any]:
        """Return the fields every access line has (a subclass adds its own)."""
        return {
            "time": _clock.now(),
            "level": "INFO",
            "logger": ACCESS_LOGGER,
            "message": f"{method} {path} {status}",
            "service": self.context.service,
            "instance": self.context.instance,
            "request_id": request_id,
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(duration_s * 1000.0, 3),
            "client": client,
        }

    def resolve_sink(self) -> Sink:
        """Return where lines go: the given sink, else the JSON log handler's."""
        if self.sink is None:
            self.sink = _handler_sink()
        return self.sink


def _handler_sink() -> Sink:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, JsonLogHandler):
            return handler.sink
    return stderr_sink
