"""A new service is one folder and one line: written here, run in the cluster, reached
through the gateway, its table migrated while no other service's branch moves."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Cluster
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

# The whole service: a spec, a setting, a table with its migration, a route
# and a background task.
THROWAWAY: dict[str, str] = {
    "__init__.py": '"""A service written by a test."""\n',
    "spec.py": """
        from reelstack.chassis.spec import ServiceSpec

        SPEC = ServiceSpec(
            name="throwaway",
            app="throwaway.app:create_app",
            ports=("sql",),
            settings="throwaway.settings",
            migrations="throwaway",
            routes=("/api/throwaway;public;rewrite=/throwaway",),
            background=("throwaway.app:tick",),
            instances=1,
        )
    """,
    "settings.py": """
        from reelstack.config import Setting, parse_str
        from reelstack.settings.base import add

        THROWAWAY_GREETING = add(
            Setting("throwaway.greeting", parse_str, "hi", "What the throwaway service says.")
        )
    """,
    "repository.py": """
        from sqlalchemy import Column, Integer, String, Table

        from reelstack.db import metadata

        notes = Table(
            "throwaway_notes",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("text", String(100), nullable=False),
        )
    """,
    "migrations/__init__.py": """
        from throwaway import repository as repository
    """,
    "migrations/t0001_throwaway_notes.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "t0001_throwaway_notes"
        down_revision = None
        branch_labels = ("throwaway",)
        depends_on = None


        def upgrade():
            op.create_table(
                "throwaway_notes",
                sa.Column("id", sa.Integer(), nullable=False),
                sa.Column("text", sa.String(length=100), nullable=False),
                sa.PrimaryKeyConstraint("id", name=op.f("pk_throwaway_notes")),
            )


        def downgrade():
            op.drop_table("throwaway_notes")
    """,
    "app.py": """
        import asyncio
        from dataclasses import dataclass
        from typing import Annotated, Any

        from fastapi import APIRouter, Depends
        from sqlalchemy import func, select

        from reelstack.chassis.app import create_service_app
        from reelstack.chassis.route_deps import SqlDep, context_dep
        from throwaway import settings
        from throwaway.repository import notes
        from throwaway.spec import SPEC


        @dataclass
        class Context:
            greeting: str
            ticks: int = 0


        async def build(chassis: Any) -> Context:
            return Context(greeting=chassis.config.get(settings.THROWAWAY_GREETING))


        async def tick(context: Context) -> None:
            while True:
                context.ticks += 1
                await asyncio.sleep(0.05)


        ContextDep = Annotated[Context, Depends(context_dep(Context))]
        router = APIRouter(prefix="/throwaway")


        @router.get("")
        async def hello(context: ContextDep, db: SqlDep) -> dict[str, Any]:
            async with db.session() as session:
                count = await session.execute(select(func.count()).select_from(notes))
            ticks = context.ticks
            return {"greeting": context.greeting, "ticks": ticks, "notes": count.scalar_one()}


        def create_app(config: Any) -> Any:
            return create_service_app(config, spec=SPEC, routers=[router], context=build)
    """,
}


def _write_package(root: Path) -> None:
    for name, text in THROWAWAY.items():
        path = root / "throwaway" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def _versions(home: Path) -> set[str]:
    with sqlite3.connect(home / "data" / "sql.db") as db:
        return {row[0] for row in db.execute("SELECT version_num FROM alembic_version")}


def _tables(home: Path) -> set[str]:
    with sqlite3.connect(home / "data" / "sql.db") as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_service_written_in_one_folder_and_registered_in_one_line_runs_in_the_cluster(
    new_cluster: Cluster, tmp_path: Path
) -> None:
    cluster = new_cluster
    # First the platform as it ships: every built-in branch at its head.
    cluster.ok("up", "--timeout", "180")
    cluster.wait_all_up(within_s=180)
    before = _versions(cluster.home)
    assert "throwaway_notes" not in _tables(cluster.home)
    cluster.ok("down")

    # The new service: one folder, and one line naming its package.
    _write_package(tmp_path / "code")
    cluster.env["PYTHONPATH"] = f"{tmp_path / 'code'}"
    (cluster.home / "reelstack.toml").write_text('services.extra = "throwaway"\n')
    cluster.env["REELSTACK_THROWAWAY_GREETING"] = "bonjour"
    cluster.ok("up", "--timeout", "180")
    views = cluster.wait_all_up(within_s=180)
    assert [v["instance"] for v in views if v["service"] == "throwaway"] == ["throwaway-a-1"]

    gateway = cluster.by_id()["gateway-a-1"]
    url = f"http://127.0.0.1:{gateway['port']}/api/throwaway"

    def answered() -> dict[str, object] | None:
        try:
            response = httpx.get(url, timeout=5)
        except httpx.HTTPError:
            return None
        body: dict[str, object] = response.json()
        return body if response.status_code == 200 and body.get("ticks") else None

    body = wait_until(answered, "the throwaway service answering through the gateway", within_s=120)
    # Its setting reached it, its background task runs, its table exists.
    assert body["greeting"] == "bonjour"
    assert body["notes"] == 0
    assert "throwaway_notes" in _tables(cluster.home)
    # Its branch joined the store; every other branch stayed where it was.
    assert _versions(cluster.home) == before | {"t0001_throwaway_notes"}
