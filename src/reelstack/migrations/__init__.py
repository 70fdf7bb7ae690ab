"""The Alembic environment of the relational store: one branch per service.

Each service that owns tables names a branch in its spec
(``ServiceSpec(migrations="media")``) and keeps its revisions in
``<package>/migrations/``; its first revision carries
``branch_labels = ("<branch>",)`` and ``down_revision = None``. A service's
start migrates its own branch only (``Database.migrate(branch=...)``), so no
service's start moves another's tables. Every branch shares one version
table, so Alembic must see every branch's folder: :func:`version_locations`
finds them from the specs.

A new revision of a branch::

    alembic -c <(echo) revision -m "what" --head=media@head  # see docs/architecture.md

Tables are declared on :data:`reelstack.db.metadata` (with the naming
convention the revisions use), so autogenerate against a migrated store
proposes nothing; a contract test holds that.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from pathlib import Path

from alembic.config import Config as AlembicConfig

from reelstack.chassis.spec import ServiceSpec

ENVIRONMENT = Path(__file__).resolve().parent


def branch_folder(spec: ServiceSpec) -> Path:
    """Return the folder holding ``spec``'s revisions (``<package>/migrations``)."""
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise LookupError(f"package {spec.package} of service {spec.name!r} not found")
    return Path(next(iter(found.submodule_search_locations))) / "migrations"


def version_locations(specs: Iterable[ServiceSpec]) -> list[Path]:
    """Return the revision folders of every service that owns a migration branch."""
    return [branch_folder(spec) for spec in specs if spec.migrations is not None]


def alembic_config(locations: Iterable[Path]) -> AlembicConfig:
    """Return an Alembic configuration over the environment and ``locations``."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    return config


def declare_tables(specs: Iterable[ServiceSpec]) -> None:
    """Import each branch's ``<package>/migrations`` package, which imports its table modules.

    Needed only to compare the metadata with a store (autogenerate, the
    contract test); migrating runs the revisions and imports no service code.
    """
    for spec in specs:
        if spec.migrations is not None:
            importlib.import_module(f"{spec.package}.migrations")


# The store's history before each service had a branch: one line,
# 0001_hello_visits <- 0002_media_titles <- 0003_media_jobs <- 0004_media_extras.
# A store stamped with a media revision of that line had hello's table made too;
# the branches keep every revision id, so the hello head is all that is missing.
LEGACY_LINE_MEDIA = frozenset({"0002_media_titles", "0003_media_jobs", "0004_media_extras"})
LEGACY_LINE_HELLO = "0001_hello_visits"
