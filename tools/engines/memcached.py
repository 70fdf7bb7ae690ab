"""memcached 1.6 from Debian: two servers, one per zone, as EVCache runs one pool per zone.

Each server listens on 127.0.0.1 (TCP only, ``-U 0``) with 64 MB of memory and
an item size limit of :data:`ITEM_MAX` (memcached's ``-I``). memcached refuses
to run as root, so the servers drop to the ``memcache`` user (the Debian
package creates it) or ``nobody``.

Tests find them through ``REELSTACK_TEST_MEMCACHED_A`` and ``..._B``
(``127.0.0.1:PORT``) and the item limit in bytes through
``REELSTACK_TEST_MEMCACHED_ITEM_MAX``; the processes are ``memcached-a`` and
``memcached-b``, so a test can stop one zone's server and start it again.
"""

from __future__ import annotations

import pwd
import socket

from tools.engines.core import Context, EngineError, EngineState, apt_install

BINARY = "/usr/bin/memcached"
ZONES = ("a", "b")
MEMORY_MB = 64
# memcached's own default; values larger than this are chunked by the adapter.
ITEM_MAX = "1m"
ITEM_MAX_BYTES = 1024 * 1024
READY_TIMEOUT_S = 30.0


def _user() -> str:
    for name in ("memcache", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise EngineError("memcached: neither user 'memcache' nor 'nobody' exists to run as")


def _port(argv: list[str]) -> int:
    return int(argv[argv.index("-p") + 1])


def answers_version(port: int, timeout_s: float = 1.0) -> bool:
    """Whether a memcached on 127.0.0.1:``port`` answers ``version``."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(b"version\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            data = sock.recv(256)
            if not data:
                break
            reply += data
    return reply.startswith(b"VERSION ")


class Memcached:
    """Two memcached servers, zones ``a`` and ``b``."""

    name = "memcached"

    def install(self, ctx: Context) -> None:
        apt_install(ctx, ["memcached"], check=[BINARY])

    def start(self, ctx: Context) -> EngineState:
        user = _user()
        state = EngineState(name=self.name)
        for zone in ZONES:
            port = ctx.free_port()
            argv = [
                BINARY,
                "-u",
                user,
                "-l",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "0",
                "-m",
                str(MEMORY_MB),
                "-I",
                ITEM_MAX,
            ]
            proc_name = f"memcached-{zone}"
            state.processes[proc_name] = ctx.spawn(proc_name, argv)
            state.env[f"REELSTACK_TEST_MEMCACHED_{zone.upper()}"] = f"127.0.0.1:{port}"
        state.env["REELSTACK_TEST_MEMCACHED_ITEM_MAX"] = str(ITEM_MAX_BYTES)
        state.extra["version"] = ctx.run([BINARY, "-V"], what="memcached -V").strip()
        for proc_name, process in state.processes.items():
            ctx.wait_until(
                lambda p=process: answers_version(_port(p.argv)),
                what=f"memcached/{proc_name}",
                timeout_s=READY_TIMEOUT_S,
                processes=[process],
            )
        return state

    def ready(self, state: EngineState, proc_name: str) -> bool:
        return answers_version(_port(state.processes[proc_name].argv))
