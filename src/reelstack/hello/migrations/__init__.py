"""The hello service's Alembic branch (``hello``): revisions of the tables it owns.

Importing it declares those tables on the shared metadata (for autogenerate).
"""

from reelstack.hello import repository as repository
