"""The gateway's proxied throughput and added latency, against nginx ``proxy_pass``.

Both proxies forward ``GET /api/hello`` to the same upstream, an nginx
returning a 58-byte JSON body on keep-alive connections:

- the gateway runs as a real instance (``python -m reelstack.chassis.run``) with
  its full filter chain on: the route requires a bearer token (RS256, from a
  configured key set), both rate limits are on (with limits far above the
  load), the passport line is written for every request (to a file);
- nginx (one worker) runs ``proxy_pass`` with upstream keep-alive.

Throughput: ``wrk -t1 -c32`` against each, the same Authorization header
sent to both, rounds interleaved and the median kept. Each proxy is pinned
to core 0; wrk and the upstream share core 1. Also printed: requests per
CPU-second of each proxy process, which other load on the host disturbs less
than requests per second.

Added latency: ``bench/loadgen.py`` (an open-loop, constant-rate client; see
its docstring for why not wrk) sends at half the gateway's measured
saturation rate straight to the upstream, through nginx and through the
gateway; a proxy's added latency at a percentile is its figure minus the
direct one, median over rounds.

Targets: gateway req/s >= 0.25 x nginx's; gateway added p99 <= 2 ms.
``BENCH_GATEWAY_DURATION_S``, ``BENCH_GATEWAY_ROUNDS`` and
``BENCH_GATEWAY_LATENCY_S`` change the run. The host's load average is
printed to stderr before and after: with two cores, anything else running
shows in every figure here, most in the latency percentiles.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import psutil
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bench.bench_chassis import free_port, pinned
from bench.common import Result, header, report
from reelstack.settings.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = int(os.environ.get("BENCH_GATEWAY_DURATION_S", "5"))
ROUNDS = int(os.environ.get("BENCH_GATEWAY_ROUNDS", "3"))
LATENCY_S = int(os.environ.get("BENCH_GATEWAY_LATENCY_S", "5"))
CONNECTIONS = 32
PATH = "/api/hello"
BODY = '{"greeting":"hello ann","instance":"hello-a-1","zone":"a"}'

UPSTREAM_CONF = """
worker_processes 1;
daemon off;
pid {dir}/{name}.pid;
error_log {dir}/{name}.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/{name}-body;
  proxy_temp_path {dir}/{name}-proxy;
  fastcgi_temp_path {dir}/{name}-fcgi;
  uwsgi_temp_path {dir}/{name}-uwsgi;
  scgi_temp_path {dir}/{name}-scgi;
  keepalive_requests 1000000;
  {body}
}}
"""
UPSTREAM_SERVER = """
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{reply}'; }}
  }}
"""
PROXY_SERVER = """
  upstream origin {{ server 127.0.0.1:{upstream}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
"""


@dataclass
class Process:
    name: str
    argv: list[str]
    cpu: int
    check_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self, log: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                pinned(self.cpu, self.argv), cwd=ROOT, env=env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.check_url, timeout=1) as response:
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the process and its children (nginx's worker)."""
        assert self.process is not None
        proc = psutil.Process(self.process.pid)
        total = 0.0
        for p in [proc, *proc.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def nginx(name: str, body: str, tmp: Path) -> list[str]:
    conf = tmp / f"{name}.conf"
    conf.write_text(UPSTREAM_CONF.format(dir=tmp, name=name, body=body))
    return ["nginx", "-c", str(conf), "-p", str(tmp)]


def wrk(url: str, token: str, duration_s: int) -> float:
    """Return the requests/s wrk measured against ``url``."""
    out = subprocess.run(
        pinned(
            1,
            [
                "wrk",
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{duration_s}s",
                "--timeout",
                "10s",
                "-H",
                f"Authorization: Bearer {token}",
                url,
            ],
        ),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors under load against {url}:\n{out}")
    return float(match.group(1))


def loadgen(url: str, rate: float, token: str) -> dict[str, float]:
    out = subprocess.run(
        pinned(
            1,
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                url,
                str(rate),
                str(LATENCY_S),
                f"Authorization: Bearer {token}",
            ],
        ),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    if result["errors"] or result["non_2xx"]:
        raise RuntimeError(f"errors at {rate:.0f}/s against {url}: {result}")
    if result["late_p99_ms"] > 2.0:
        # The client itself fell behind its timetable: the host is too busy
        # for this run's latency figures to mean much.
        print(
            f"warning: the load generator ran late (p99 {result['late_p99_ms']:.1f} ms) "
            f"against {url}",
            file=sys.stderr,
        )
    return result


def make_token() -> tuple[str, str]:
    """Return a JWKS holding a fresh RS256 public key, and a token it verifies."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": "bench", "alg": "RS256", "use": "sig"})
    claims = {
        "sub": "account-1",
        "profile": "profile-1",
        "maturity": "adults",
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "iat": int(time.time()),
        "exp": int(time.time()) + 3600,
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})
    return json.dumps({"keys": [public]}), token


def main() -> None:
    header()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install -y wrk nginx-light")
    jwks, token = make_token()
    upstream_port, nginx_port, gateway_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp_name:
        tmp = Path(tmp_name)
        upstream = Process(
            "upstream",
            nginx("upstream", UPSTREAM_SERVER.format(port=upstream_port, reply=BODY), tmp),
            1,
            f"http://127.0.0.1:{upstream_port}/",
        )
        proxy = Process(
            "nginx proxy_pass",
            nginx("proxy", PROXY_SERVER.format(port=nginx_port, upstream=upstream_port), tmp),
            0,
            f"http://127.0.0.1:{nginx_port}{PATH}",
        )
        gateway = Process(
            "gateway",
            [sys.executable, "-m", "reelstack.chassis.run"],
            0,
            f"http://127.0.0.1:{gateway_port}/health",
            {
                "REELSTACK_HOME": str(tmp / "home"),
                "REELSTACK_SERVICE_NAME": "gateway",
                "REELSTACK_SERVICE_PORT": str(gateway_port),
                "REELSTACK_GATEWAY_ROUTES": "/api/hello=hello;keep",
                "REELSTACK_GATEWAY_INSTANCES": f"hello=127.0.0.1:{upstream_port}",
                "REELSTACK_GATEWAY_AUTH_JWKS": jwks,
                "REELSTACK_GATEWAY_AUTH_JWKS_URL": "",
                "REELSTACK_GATEWAY_RATELIMIT_ADDRESS_RPS": "1000000",
                "REELSTACK_GATEWAY_RATELIMIT_ACCOUNT_RPS": "1000000",
                # Shedding is on, above anything the load generator can have in flight.
                "REELSTACK_GATEWAY_MAX_CONCURRENT": "4096",
                # Every client here is 127.0.0.1: the per-address connection cap
                # (ADR 0017) would count the load generator's connections as one client's.
                "REELSTACK_GATEWAY_MAX_CONNECTIONS_PER_CLIENT": "0",
                "REELSTACK_LOGGING_ACCESS": "true",
            },
        )
        servers = [upstream, proxy, gateway]
        targets = {
            "gateway": (gateway, f"http://127.0.0.1:{gateway_port}{PATH}"),
            "nginx": (proxy, f"http://127.0.0.1:{nginx_port}{PATH}"),
        }
        rps: dict[str, list[float]] = {name: [] for name in targets}
        per_cpu: dict[str, list[float]] = {name: [] for name in targets}
        added: dict[str, dict[str, list[float]]] = {
            name: {"p50_ms": [], "p99_ms": []} for name in targets
        }
        try:
            for server in servers:
                server.start(tmp / f"{server.name.split()[0]}.log")
            for _, url in targets.values():
                wrk(url, token, 2)  # warm-up
            for _ in range(ROUNDS):
                for name, (server, url) in targets.items():
                    before = server.cpu_seconds()
                    figure = wrk(url, token, DURATION_S)
                    used = server.cpu_seconds() - before
                    rps[name].append(figure)
                    per_cpu[name].append(figure * DURATION_S / used if used else 0.0)
            rate = statistics.median(rps["gateway"]) / 2
            direct_url = f"http://127.0.0.1:{upstream_port}{PATH}"
            for _ in range(ROUNDS):
                direct = loadgen(direct_url, rate, token)
                for name, (_, url) in targets.items():
                    via = loadgen(url, rate, token)
                    print(
                        f"round: {name} p50 {via['p50_ms']:.3f} p99 {via['p99_ms']:.3f} ms, "
                        f"direct p50 {direct['p50_ms']:.3f} p99 {direct['p99_ms']:.3f} ms, "
                        f"client late p99 {via['late_p99_ms']:.3f} ms",
                        file=sys.stderr,
                    )
                    for key in ("p50_ms", "p99_ms"):
                        added[name][key].append(via[key] - direct[key])
        finally:
            for server in reversed(servers):
                server.stop()
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    gateway_rps = statistics.median(rps["gateway"])
    nginx_rps = statistics.median(rps["nginx"])
    report(
        Result(
            "gateway proxied GET, full filter chain",
            gateway_rps,
            "req/s",
            "nginx proxy_pass",
            nginx_rps,
            ">= 0.25",
        )
    )
    report(
        Result(
            "gateway proxied GET per CPU-second of the proxy",
            statistics.median(per_cpu["gateway"]),
            "req/cpu-s",
            "nginx proxy_pass",
            statistics.median(per_cpu["nginx"]),
        )
    )
    for key, target in (("p50_ms", ""), ("p99_ms", "gateway <= 2 ms")):
        report(
            Result(
                f"gateway added latency {key[:3]} at {rate:,.0f} req/s",
                statistics.median(added["gateway"][key]),
                "ms",
                "nginx proxy_pass added",
                statistics.median(added["nginx"][key]),
                target,
            )
        )


if __name__ == "__main__":
    main()
