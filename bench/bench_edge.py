"""The edge's warm-cache throughput against nginx on the same files; the cold-miss collapse.

Both serve the same two files (2 MiB and 200 KiB segments) at the same
signed URL ``/media/s/TOKEN/t1/j1/v0/FILE``:

- the edge runs as a real instance (``python -m reelstack.chassis.run``),
  its cache warmed by one request per file: it verifies the token (HMAC)
  on every request and sends the file from its disk cache with
  ``loop.sendfile``;
- nginx (Debian's package, one worker, ``sendfile on``, ``tcp_nopush on``,
  access log off) maps the same URL to the same bytes with a regex
  ``location`` and ``alias``: no token check, the anchor's advantage.

Load tool: ``wrk -t1 -c32`` for both, rounds interleaved, median kept.
The server is pinned to core 0 and wrk to core 1. Also printed: requests
per CPU-second of each server process, which other load on the host
disturbs less than requests per second. Target: edge >= 0.8 x nginx for
both sizes.

Cold-miss collapse: 100 concurrent requests for one 2 MiB file the edge has
not cached; the figure is the origin fetches the edge made (its
``/edge/status``), the anchor the requests: target exactly 1.

``BENCH_EDGE_DURATION_S`` and ``BENCH_EDGE_ROUNDS`` change the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.bench_chassis import free_port
from bench.bench_gateway import Process, wrk
from bench.common import Result, header, report
from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.signed_urls import UrlSigner, home_key

DURATION_S = int(os.environ.get("BENCH_EDGE_DURATION_S", "5"))
ROUNDS = int(os.environ.get("BENCH_EDGE_ROUNDS", "3"))
SIZES = {"2 MiB": 2 * 1024 * 1024, "200 KiB": 200 * 1024}
FOLDER = "t1/j1/v0"

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  types {{ video/iso.segment m4s; }}
  server {{
    listen 127.0.0.1:{port};
    location ~ ^/media/s/[^/]+/(.*)$ {{ alias {files}/$1; }}
  }}
}}
"""


def file_name(label: str) -> str:
    return f"seg_{label.replace(' ', '').lower()}.m4s"


async def publish(home: Path, files: Path) -> None:
    """Put the files in the edge's origin (the blob store) and in nginx's folder."""
    blobs = LocalBlobStore(home / "blobs")
    await blobs.open()
    for label, size in [*SIZES.items(), ("cold", SIZES["2 MiB"])]:
        data = os.urandom(size)
        await blobs.put(f"media/{FOLDER}/{file_name(label)}", data)
        target = files / FOLDER / file_name(label)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    await blobs.close()


async def _fetch(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: edge\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        return int(head.split(b" ")[1])
    finally:
        writer.close()


async def collapse(port: int, path: str) -> list[int]:
    """Send 100 concurrent requests for ``path``; return their statuses."""
    return list(await asyncio.gather(*(_fetch(port, path) for _ in range(100))))


def status(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/edge/status", timeout=5) as response:
        found: dict[str, int] = json.loads(response.read())
        return found


def main() -> None:
    header()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install -y wrk nginx-light")
    print("load tool: wrk -t1 -c32 (both servers)", file=sys.stderr)
    service_port, serve_port, nginx_port = free_port(), free_port(), free_port()
    print(f"edge serve port {serve_port}, nginx port {nginx_port}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-edge-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's worker may run as another user (nobody) and read the files
        home, files = tmp / "home", tmp / "files"
        asyncio.run(publish(home, files))
        signer = UrlSigner(home_key(home))
        expires = int(time.time()) + 3600

        def url(port: int, label: str) -> str:
            path = signer.url(FOLDER, file_name(label), expires=expires)
            return f"http://127.0.0.1:{port}{path}"

        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, port=nginx_port, files=files))
        nginx = Process(
            "nginx",
            ["nginx", "-c", str(conf), "-p", str(tmp)],
            0,
            url(nginx_port, "2 MiB"),
        )
        edge = Process(
            "edge",
            [sys.executable, "-m", "reelstack.chassis.run"],
            0,
            f"http://127.0.0.1:{service_port}/edge/status",
            {
                "REELSTACK_HOME": str(home),
                "REELSTACK_SERVICES_EXTRA": "reelstack.edge",
                "REELSTACK_SERVICE_NAME": "edge",
                "REELSTACK_SERVICE_PORT": str(service_port),
                "REELSTACK_EDGE_SERVE_PORT": str(serve_port),
                # wrk's connections all come from 127.0.0.1.
                "REELSTACK_EDGE_MAX_CONNECTIONS_PER_ADDRESS": "4096",
            },
        )
        servers = {"edge": (edge, serve_port), "nginx": (nginx, nginx_port)}
        rps = {(name, label): [] for name in servers for label in SIZES}
        per_cpu = {(name, label): [] for name in servers for label in SIZES}
        try:
            for server, _ in servers.values():
                server.start(tmp / f"{server.name}.log")
            for label in SIZES:  # warm the edge's cache, and both servers
                for _, port in servers.values():
                    wrk(url(port, label), "", 1)
            for _ in range(ROUNDS):
                for label in SIZES:
                    for name, (server, port) in servers.items():
                        before = server.cpu_seconds()
                        figure = wrk(url(port, label), "", DURATION_S)
                        used = server.cpu_seconds() - before
                        rps[(name, label)].append(figure)
                        per_cpu[(name, label)].append(figure * DURATION_S / used if used else 0.0)
            before = status(service_port)["origin_fetches"]
            cold = signer.url(FOLDER, file_name("cold"), expires=expires)
            statuses = asyncio.run(collapse(serve_port, cold))
            fetches = status(service_port)["origin_fetches"] - before
            if any(code != 200 for code in statuses):
                raise RuntimeError(f"cold-miss requests failed: {sorted(set(statuses))}")
        finally:
            for server, _ in servers.values():
                server.stop()
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    for label in SIZES:
        for key, unit in ((rps, "req/s"), (per_cpu, "req/CPU-s")):
            edge_figure = statistics.median(key[("edge", label)])
            nginx_figure = statistics.median(key[("nginx", label)])
            report(
                Result(
                    f"edge warm-cache GET {label} segment ({unit})",
                    edge_figure,
                    unit,
                    "nginx 1 worker, sendfile on, same file",
                    nginx_figure,
                    ">= 0.8" if unit == "req/s" else "",
                )
            )
    report(
        Result(
            "edge cold miss: origin fetches for 100 concurrent requests",
            fetches,
            "fetches",
            "requests",
            100,
            "figure == 1",
        )
    )


if __name__ == "__main__":
    main()
