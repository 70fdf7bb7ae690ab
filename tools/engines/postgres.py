"""PostgreSQL 15 from Debian, one server for the relational contract suite.

The server refuses to run as root, so as root it runs as the ``postgres`` OS
user (the Debian package creates it) with its data folder chowned to that
user; as any other user it runs as that user. It listens on 127.0.0.1 only,
with a Unix socket in the run folder, trust authentication, and durability
switched off (``fsync``, ``synchronous_commit``, ``full_page_writes``): test
data is thrown away anyway, and these make CREATE DATABASE per test cheap.

The ``reelstack`` role owns the ``reelstack`` database and may create more
(the suite makes a fresh database per test).
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from tools.engines.core import Context, EngineError, EngineState, apt_install

BIN = Path("/usr/lib/postgresql/15/bin")
PROC = "postgres"
ROLE = "reelstack"
DATABASE = "reelstack"
SETTINGS = (
    "listen_addresses=127.0.0.1",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "shared_buffers=64MB",
    # Tests never wait on an autovacuum or a checkpoint.
    "checkpoint_timeout=30min",
    "log_min_messages=warning",
)


# SIGTERM asks PostgreSQL for a "smart" shutdown, which waits for every client
# to disconnect: a test stopping the server while its pool holds connections
# would wait out the stop grace period. This shell turns the SIGTERM the
# harness sends into SIGINT, a "fast" shutdown that ends the sessions at once.
FAST_STOP = (
    'trap \'kill -INT "$child" 2>/dev/null\' TERM; "$@" & child=$!; status=0; '
    'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done; exit "$status"'
)


def _as_server_user(argv: list[str]) -> list[str]:
    """Run ``argv`` as the ``postgres`` user when we are root (the server refuses root)."""
    if os.geteuid() != 0:
        return argv
    # setpriv execs the server in place (runuser would stay as its parent and
    # SIGKILL it two seconds after a SIGTERM), so stopping it is a clean shutdown.
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *argv]


def _psql(port: int, user: str, database: str, sql: str) -> list[str]:
    return [
        str(BIN / "psql"),
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        user,
        "-d",
        database,
        "-tAc",
        sql,
    ]


def _answers(port: int, user: str, database: str) -> bool:
    done = subprocess.run(
        _psql(port, user, database, "SELECT 1"),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip() == "1"


class Postgres:
    """One PostgreSQL server; offers ``REELSTACK_TEST_POSTGRES``."""

    name = "postgres"

    def install(self, ctx: Context) -> None:
        apt_install(ctx, ["postgresql"], check=[str(BIN / "initdb"), str(BIN / "postgres")])

    def start(self, ctx: Context) -> EngineState:
        data = ctx.run_dir / "data"
        sockets = ctx.run_dir / "sockets"
        for folder in (ctx.run_dir, data, sockets):
            folder.mkdir(parents=True, exist_ok=True)
        superuser = "postgres"
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            for folder in (data, sockets):
                os.chown(folder, account.pw_uid, account.pw_gid)
            ctx.run(
                _as_server_user(["test", "-w", str(data)]),
                what=(
                    f"check that the postgres user can reach {ctx.run_dir}"
                    " (set REELSTACK_ENGINES_DIR to a folder every user may traverse)"
                ),
            )
        else:
            superuser = pwd.getpwuid(os.geteuid()).pw_name
        ctx.run(
            _as_server_user(
                [
                    str(BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    superuser,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
            what="initdb",
            timeout_s=120,
        )
        port = ctx.free_port()
        argv = [str(BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets)]
        for setting in SETTINGS:
            argv += ["-c", setting]
        wrapped = ["/bin/sh", "-c", FAST_STOP, "postgres", *argv]
        process = ctx.spawn(PROC, _as_server_user(wrapped), cwd=ctx.run_dir)
        ctx.wait_until(
            lambda: _answers(port, superuser, "postgres"),
            what="postgres accepting connections",
            timeout_s=60,
            processes=[process],
        )
        ctx.run(
            _psql(port, superuser, "postgres", f"CREATE ROLE {ROLE} LOGIN CREATEDB"),
            what=f"create role {ROLE}",
        )
        ctx.run(
            _psql(port, superuser, "postgres", f"CREATE DATABASE {DATABASE} OWNER {ROLE}"),
            what=f"create database {DATABASE}",
        )
        if not _answers(port, ROLE, DATABASE):
            raise EngineError(f"postgres: {ROLE} cannot query {DATABASE} on port {port}")
        url = f"postgresql+asyncpg://{ROLE}@127.0.0.1:{port}/{DATABASE}"
        return EngineState(
            name=self.name,
            processes={PROC: process},
            env={"REELSTACK_TEST_POSTGRES": url},
            extra={"port": port, "superuser": superuser, "version": self._version()},
        )

    def ready(self, state: EngineState, proc_name: str) -> bool:
        return _answers(int(state.extra["port"]), ROLE, DATABASE)

    @staticmethod
    def _version() -> str:
        done = subprocess.run(
            [str(BIN / "postgres"), "--version"], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()
