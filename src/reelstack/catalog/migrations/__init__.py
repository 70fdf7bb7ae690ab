"""The catalog service's Alembic branch (``catalog``): revisions of the tables it owns.

Importing it declares those tables on the shared metadata (for autogenerate);
the search index (FTS5 table or trigram index) is made by the revision only.
"""

from reelstack.catalog import tables as tables
