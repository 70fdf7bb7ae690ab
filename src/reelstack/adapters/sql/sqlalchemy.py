"""SqlAlchemyDatabase: the relational port on SQLAlchemy 2 (async) and Alembic.

One adapter for SQLite (embedded), PostgreSQL and CockroachDB, chosen by the
URL. On SQLite, every connection runs in WAL mode with a busy timeout and
foreign keys on, and transactions begin with ``BEGIN IMMEDIATE`` (``transaction``,
``migrate`` and anything run on ``engine``), so two processes writing at once
queue for the write lock instead of one failing with "database is locked" when
it upgrades a read to a write. Sessions from ``session`` are for reading: they
begin deferred and never wait for a writer. Write through ``transaction``.
A file's pool keeps every connection it opens (``2 * pool_size``, no overflow
connections opened and closed per burst).

On PostgreSQL (``postgresql+asyncpg://``) and CockroachDB
(``cockroachdb+asyncpg://``, the dialect of ``sqlalchemy-cockroachdb``) every
transaction is SERIALIZABLE, CockroachDB's only level, so a read-modify-write
in ``transaction`` either commits alone or is aborted with 40001 and run again.
None of the SQLite set-up applies there; connections come from a pool of
``pool_size`` (plus as many again under load), are checked with a ping before
use, and a connection attempt gives up after ``connect_timeout_s``.

``transaction`` retries the whole unit of work when the engine aborts it for a
serialization conflict (SQLSTATE 40001, CockroachDB's "restart transaction";
40P01, a deadlock) or, on SQLite, when the lock stayed busy: ``work`` must
therefore be safe to run again (no side effects outside the session).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from reelstack import migrations, services, settings
from reelstack.adapters import sqlite_common
from reelstack.config import Config
from reelstack.errors import (
    ConfigError,
    ConflictError,
    ReelstackError,
    StoreCorruptError,
    UnavailableError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
MAX_ATTEMPTS = 8
POOL_SIZE = 5
CONNECT_TIMEOUT_S = 10.0
BACKOFF_FIRST_S = 0.02
BACKOFF_MAX_S = 1.0
# Execution option that makes the SQLite "begin" hook begin deferred (a reader).
READ_OPTION = "reelstack_read"
# Key of PostgreSQL's advisory lock that serializes concurrent migrations.
MIGRATION_LOCK = 7_311_420_015


def sqlstate(exc: BaseException) -> str | None:
    """Return the SQLSTATE a driver attached to ``exc`` (or its cause), if any."""
    candidates = [exc, getattr(exc, "orig", None)]
    candidates += [getattr(c, "__cause__", None) for c in list(candidates)]
    for candidate in candidates:
        for attribute in ("sqlstate", "pgcode"):
            code = getattr(candidate, attribute, None)
            if isinstance(code, str) and code:
                return code
    return None


def is_retryable(exc: BaseException) -> bool:
    """Whether re-running the transaction may succeed: a conflict, or a busy SQLite."""
    if sqlstate(exc) in RETRYABLE_SQLSTATES:
        return True
    return sqlite_common.is_busy(getattr(exc, "orig", None) or exc)


def writer_lock_path(path: Path) -> Path:
    """The file beside a SQLite database whose flock its writers queue on."""
    return path.with_name(path.name + "-writer.lock")


@asynccontextmanager
async def _flocked(fd: int) -> AsyncIterator[None]:
    """Hold an exclusive flock on ``fd``: taken at once when free, else in a thread.

    A blocked flock wakes the moment the holder lets go, where SQLite's busy
    handler polls with sleeps of up to 100 ms while its lock sits free (two
    playback instances' leases waited that long at 50 starts/s). It only
    orders writers: SQLite's own lock still guards the data, so a writer
    that skips it (another tool) is safe, only slower.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        waiting = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread takes the lock anyway: give it back once it has.
            waiting.add_done_callback(
                lambda done: None if done.exception() else fcntl.flock(fd, fcntl.LOCK_UN)
            )
            raise
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


class SqlAlchemyDatabase:
    """The Database port for any SQLAlchemy async URL.

    ``url`` is e.g. ``sqlite+aiosqlite:////abs/sql.db`` or
    ``postgresql+asyncpg://user@host/db``; ``busy_timeout_s`` is how long a
    SQLite connection waits for another process's lock; ``max_attempts``
    bounds the runs of one ``transaction``; ``echo`` logs every statement.
    ``pool_size`` and ``connect_timeout_s`` apply to a server (PostgreSQL,
    CockroachDB), not to SQLite.
    """

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_s: float = sqlite_common.BUSY_TIMEOUT_S,
        max_attempts: int = MAX_ATTEMPTS,
        echo: bool = False,
        pool_size: int = POOL_SIZE,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        version_locations: Sequence[Path] | None = None,
    ) -> None:
        self.url = make_url(url)
        # Every service branch's revision folder (None: the built-in services').
        self.version_locations = None if version_locations is None else list(version_locations)
        self.busy_timeout_s = busy_timeout_s
        self.max_attempts = max(1, max_attempts)
        self.echo = echo
        self.pool_size = max(1, pool_size)
        self.connect_timeout_s = connect_timeout_s
        self._engine: AsyncEngine | None = None
        self._reads: async_sessionmaker[AsyncSession] | None = None
        self._writes: async_sessionmaker[AsyncSession] | None = None
        # SQLite: this process's writers queue here, see ``transaction``.
        self._writer: asyncio.Lock | None = None
        self._writer_task: asyncio.Task[object] | None = None
        # A SQLite file's writers in every process queue on this file's flock.
        self._writer_fd: int | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        """Whether the engine is PostgreSQL itself (not CockroachDB, which speaks its protocol)."""
        return self.url.get_backend_name() == "postgresql"

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None (another engine, or an in-memory database)."""
        database = self.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return None
        return Path(database)

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise UnavailableError("the relational store is not open")
        return self._engine

    async def open(self) -> None:
        if self._engine is not None:
            return
        path = self.path
        if path is not None:
            # Refuse a damaged file before SQLAlchemy opens (and maybe writes) it.
            checked = await asyncio.to_thread(
                sqlite_common.connect, path, busy_timeout_s=self.busy_timeout_s
            )
            checked.close()
        engine = self._create_engine()
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            await engine.dispose()
            raise self._unavailable(exc, "connect") from exc
        self._engine = engine
        reads = engine.execution_options(**{READ_OPTION: True})
        self._reads = async_sessionmaker(reads, expire_on_commit=False)
        self._writes = async_sessionmaker(engine, expire_on_commit=False)
        # Made here, in the loop that uses the store (a lock belongs to one loop).
        self._writer = asyncio.Lock() if self.is_sqlite else None
        if path is not None:
            self._writer_fd = os.open(writer_lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)

    def _create_engine(self) -> AsyncEngine:
        if not self.is_sqlite:
            # SERIALIZABLE everywhere (CockroachDB's only level), so a read-modify-write
            # in ``transaction`` is either safe or aborted with 40001 and retried.
            return create_async_engine(
                self.url,
                echo=self.echo,
                pool_pre_ping=True,
                pool_size=self.pool_size,
                max_overflow=self.pool_size,
                isolation_level="SERIALIZABLE",
                # asyncpg waits 60 s for an unreachable host by default.
                connect_args={"timeout": self.connect_timeout_s},
            )
        options: dict[str, Any] = {"connect_args": {"timeout": self.busy_timeout_s}}
        if self.path is None:
            options["poolclass"] = StaticPool
        else:
            # A file's connections are kept, all of them: an overflow
            # connection closed on its return is a new thread, a file open and
            # the pragmas below on the next burst (at 50 play starts/s they
            # were a fifth of a service's CPU). Past the pool, a session waits
            # for a connection as long as it would wait for SQLite's lock.
            options |= {
                "pool_size": 2 * self.pool_size,
                "max_overflow": 0,
                "pool_timeout": self.busy_timeout_s,
            }
        engine = create_async_engine(self.url, echo=self.echo, **options)
        busy_ms = int(self.busy_timeout_s * 1000)
        in_memory = self.path is None

        @event.listens_for(engine.sync_engine, "connect")
        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take BEGIN away from the sqlite3 module so the hook below emits it.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                if not in_memory:
                    cursor.execute("PRAGMA journal_mode = WAL")
                    cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def on_begin(conn: Connection) -> None:
            read = conn.get_execution_options().get(READ_OPTION, False)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine

    async def close(self) -> None:
        engine, self._engine = self._engine, None
        self._reads = self._writes = None
        self._writer = None
        fd, self._writer_fd = self._writer_fd, None
        if fd is not None:
            os.close(fd)
        if engine is not None:
            await engine.dispose()

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            raise self._unavailable(exc, "answer a ping") from exc

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Open a session for reading (``async with db.session() as session``).

        On SQLite its transactions begin deferred, so a write in it can fail
        with "database is locked" if another process wrote since it read:
        write through :meth:`transaction`, which takes the lock first and retries.
        A server that cannot be reached is an UnavailableError here.
        """
        if self._reads is None:
            raise UnavailableError("the relational store is not open")
        async with self._reads() as session:
            try:
                await session.connection()
            except (DBAPIError, OSError) as exc:
                raise self._unavailable(exc, "connect") from exc
            yield session

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a write transaction and commit, retrying on conflicts.

        On SQLite, where one writer at a time holds the file's lock, this
        process's writers take turns on an asyncio lock before ``BEGIN
        IMMEDIATE``: a waiter is handed the turn the moment the last one
        commits, where SQLite's busy handler would poll with sleeps of up
        to 100 ms while the lock sits free (a play start's lease waited
        seconds that way at 50 starts/s). Processes then take turns on a
        flock beside the file (``writer_lock_path``), which also wakes its
        waiter at once; SQLite's lock still guards the data behind both.
        """
        if self._writes is None:
            raise UnavailableError("the relational store is not open")
        writes = self._writes
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._turn(), writes() as session, session.begin():
                    # Connect before the work, so a server that cannot be reached
                    # is told apart from an OSError of the work's own.
                    try:
                        await session.connection()
                    except OSError as exc:
                        raise self._unavailable(exc, "connect") from exc
                    return await work(session)
            except DBAPIError as exc:
                if not is_retryable(exc):
                    raise self._translate(exc) from exc
                if attempt == self.max_attempts:
                    raise self._exhausted(exc) from exc
                delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (attempt - 1))
                log.info(
                    "transaction attempt %d of %d hit %s; retrying",
                    attempt,
                    self.max_attempts,
                    sqlstate(exc) or "a busy database",
                )
                await asyncio.sleep(random.uniform(0, delay))
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This process's turn to write (SQLite); no wait on a server engine."""
        if self._writer is None:
            yield
            return
        me = asyncio.current_task()
        if me is not None and self._writer_task is me:
            # A write transaction opened inside another on one task would wait
            # for itself forever; SQLite could not run it either.
            raise RuntimeError("a write transaction was opened inside another one")
        async with self._writer:
            self._writer_task = me
            try:
                if self._writer_fd is None:
                    yield
                else:
                    async with _flocked(self._writer_fd):
                        yield
            finally:
                self._writer_task = None

    async def migrate(self, branch: str | None = None) -> None:
        """Bring ``branch`` (a service's Alembic branch; None: every one) to its newest revision.

        Several processes may migrate at once: the migration runs in one write
        transaction (SQLite) or under an advisory lock (PostgreSQL), so the
        second waits and then finds nothing to do. On PostgreSQL it runs READ
        COMMITTED: a SERIALIZABLE transaction would keep the snapshot it took
        before waiting for the lock and not see the first one's migration.
        On CockroachDB (no advisory locks) the loser of the race is aborted
        with 40001 and retried, and then finds nothing to do.
        """
        locations = self.version_locations
        if locations is None:
            locations = migrations.version_locations(services.specs().values())
        config = migrations.alembic_config(locations)
        target = "heads" if branch is None else f"{branch}@head"
        engine = self.engine
        postgres = self.is_postgres
        if postgres:
            engine = engine.execution_options(isolation_level="READ COMMITTED")
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with engine.connect() as conn:
                    await conn.begin()
                    if postgres:
                        await conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                        )
                    await conn.run_sync(_upgrade, config, target)
                    await conn.commit()
                return
            except DBAPIError as exc:
                if not is_retryable(exc) or attempt == self.max_attempts:
                    raise self._unavailable(exc, "migrate") from exc
                log.info("migration attempt %d found the store busy; retrying", attempt)
                await asyncio.sleep(random.uniform(0, BACKOFF_MAX_S))

    def _translate(self, exc: DBAPIError) -> ReelstackError:
        if isinstance(exc, IntegrityError):
            return ConflictError(f"the write conflicts with stored data: {exc.orig}")
        return self._unavailable(exc, "run a transaction")

    def _exhausted(self, exc: DBAPIError) -> ReelstackError:
        if sqlstate(exc) in RETRYABLE_SQLSTATES:
            return ConflictError(
                f"the transaction conflicted with others {self.max_attempts} times: {exc.orig}"
            )
        return UnavailableError(
            f"the relational store stayed locked through {self.max_attempts} attempts"
        )

    def _unavailable(self, exc: BaseException, action: str) -> ReelstackError:
        orig = getattr(exc, "orig", None) or exc
        path = self.path
        if path is not None and sqlite_common.is_corrupt(orig):
            return StoreCorruptError(str(path), f"{action}: {orig}")
        return UnavailableError(f"relational store {self.where}: cannot {action}: {orig}")

    @property
    def where(self) -> str:
        """The store for messages: the file, or the engine at host:port/database."""
        if self.is_sqlite:
            return str(self.path or ":memory:")
        default_port = 5432 if self.is_postgres else 26257
        host, port = self.url.host or "localhost", self.url.port or default_port
        return f"{self.url.get_backend_name()} at {host}:{port}/{self.url.database}"


def _upgrade(connection: Connection, config: AlembicConfig, target: str) -> None:
    _restamp_legacy_line(connection)
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _restamp_legacy_line(connection: Connection) -> None:
    """Give a store migrated before the per-service branches its hello head.

    Its version table names one revision of the old single line; a media one
    implies hello's table was made before it, which the branches no longer say.
    """
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables or "hello_visits" not in tables:
        return
    stamped = {
        row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))
    }
    if stamped & migrations.LEGACY_LINE_MEDIA and migrations.LEGACY_LINE_HELLO not in stamped:
        connection.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
            {"v": migrations.LEGACY_LINE_HELLO},
        )
        log.info("restamped a store migrated before the per-service branches")


def from_url(url: str, config: Config) -> SqlAlchemyDatabase:
    """Build a SqlAlchemyDatabase from an SQLAlchemy async URL."""
    try:
        parsed = make_url(url)
    except ValueError as exc:
        source = config.resolved(settings.SQL_URL).source
        raise ConfigError(settings.SQL_URL.key, url, source, str(exc)) from None
    database = parsed.database or ""
    relative = database not in ("", ":memory:") and not Path(database).is_absolute()
    if parsed.get_backend_name() == "sqlite" and relative:
        source = config.resolved(settings.SQL_URL).source
        raise ConfigError(
            settings.SQL_URL.key,
            url,
            source,
            "expected sqlite+aiosqlite:////ABSOLUTE/PATH (four slashes before the path)",
        )
    password = config.get(settings.SQL_PASSWORD).reveal()
    if password:
        # The deploy files share one URL and keep the password in a secret.
        url = parsed.set(password=password).render_as_string(hide_password=False)
    return SqlAlchemyDatabase(
        url,
        max_attempts=config.get(settings.SQL_MAX_ATTEMPTS),
        pool_size=config.get(settings.SQL_POOL_SIZE),
        connect_timeout_s=config.get(settings.SQL_CONNECT_TIMEOUT_S),
        version_locations=migrations.version_locations(services.of(config).values()),
    )
