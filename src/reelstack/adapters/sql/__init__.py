"""Database adapter: SQLAlchemy 2 (async) for SQLite, PostgreSQL and CockroachDB."""
