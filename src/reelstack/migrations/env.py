"""Alembic environment: runs on the connection ``Database.migrate()`` hands over.

Run from the ``alembic`` command instead, it builds an async engine from the
``sqlalchemy.url`` option (or ``REELSTACK_SQL_URL`` through the settings).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from reelstack import db, migrations, services, settings

config = context.config
target_metadata = db.metadata


def run_on(connection: Connection) -> None:
    """Run the pending migrations on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: Alembic rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def configured_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    return str(settings.load().get(settings.SQL_URL))


if config.attributes.get("connection") is None:
    # Run from the alembic command (autogenerate compares with every table).
    migrations.declare_tables(services.of(settings.load()).values())

if context.is_offline_mode():
    context.configure(url=configured_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        run_on(given)
    else:
        asyncio.run(run_with_own_engine(configured_url()))
