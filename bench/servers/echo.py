"""An upstream that answers with what it received: for the gateway's tests and demos.

``python -m bench.servers.serve bench.servers.echo:app PORT`` (the instance
name comes from ``ECHO_INSTANCE``). Any path answers JSON with the instance,
method, path, query, request headers, and the request body's length and
SHA-256. Query parameters change the answer: ``status=N`` (that status),
``sleep_ms=N`` (answer after N ms), ``bytes=N`` (a body of N bytes, streamed
in 64 KiB chunks, instead of the JSON).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from typing import Any
from urllib.parse import parse_qs

CHUNK = 64 * 1024
INSTANCE = os.environ.get("ECHO_INSTANCE", "echo")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    digest = hashlib.sha256()
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        digest.update(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if "sleep_ms" in query:
        await asyncio.sleep(int(query["sleep_ms"]) / 1000)
    status = int(query.get("status", "200"))
    if "bytes" in query:
        total = int(query["bytes"])
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/octet-stream")],
            }
        )
        sent = 0
        while sent < total:
            part = min(CHUNK, total - sent)
            await send({"type": "http.response.body", "body": b"x" * part, "more_body": True})
            sent += part
        await send({"type": "http.response.body", "body": b""})
        return
    body = json.dumps(
        {
            "instance": INSTANCE,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body_bytes": size,
            "body_sha256": digest.hexdigest(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-echo-instance", INSTANCE.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
