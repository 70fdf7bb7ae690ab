"""The playback service's Alembic branch (``playback``): the plays table.

Importing it declares those tables on the shared metadata (for autogenerate).
"""

from reelstack.playback import repository as repository
