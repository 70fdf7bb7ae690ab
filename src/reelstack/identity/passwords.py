"""Password hashing with argon2id, parameters from settings (floors enforced there)."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from reelstack.config import Config
from reelstack.identity import settings as identity_settings

log = logging.getLogger(__name__)

# Verified against when an email has no account, so a miss costs as much as a
# wrong password and timing does not tell which emails exist.
_DUMMY_PASSWORD = "no account has this password"


class Passwords:
    """Hashes and verifies passwords; says when a stored hash needs new parameters."""

    def __init__(self, *, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._dummy = self.hasher.hash(_DUMMY_PASSWORD)

    @classmethod
    def from_config(cls, config: Config) -> Passwords:
        """Build from the ``identity.argon2_*`` settings."""
        return cls(
            memory_kib=config.get(identity_settings.IDENTITY_ARGON2_MEMORY_KIB),
            time_cost=config.get(identity_settings.IDENTITY_ARGON2_TIME_COST),
            parallelism=config.get(identity_settings.IDENTITY_ARGON2_PARALLELISM),
        )

    def hash(self, password: str) -> str:
        """Return the argon2id hash of ``password`` (PHC string, salt included)."""
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Return whether ``password`` matches ``stored`` (None: no account, still costs a hash)."""
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except VerificationError:
            return False
        except InvalidHashError:
            log.error("a stored password hash is not an argon2 hash; refusing the sign-in")
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Return whether ``stored`` was made with other parameters than the current ones."""
        return self.hasher.check_needs_rehash(stored)
