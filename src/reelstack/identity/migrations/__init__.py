"""The identity service's Alembic branch (``identity``): revisions of the tables it owns.

Importing it declares those tables on the shared metadata (for autogenerate).
"""

from reelstack.identity import profile_repository as profile_repository
from reelstack.identity import repository as repository
