"""Alembic revisions, oldest first by their ``vNNNN`` prefix."""
