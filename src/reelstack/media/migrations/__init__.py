"""The media service's Alembic branch (``media``): revisions of the tables it owns.

Importing it declares those tables on the shared metadata (for autogenerate).
"""

from reelstack.media import repository as repository
from reelstack.media.pipeline import tables as tables
