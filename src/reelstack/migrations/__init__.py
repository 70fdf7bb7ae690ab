"""Alembic migrations of the relational store, run by ``Database.migrate()``.

Each service adds a revision under ``versions/`` for the tables it owns. Name
the file ``vNNNN_<slug>.py`` with ``revision = "NNNN_<slug>"`` and set
``down_revision`` to the newest revision when you write it. Migrations run to
every head, so two revisions written in parallel on the same parent both apply.
"""
