"""The identity service's domain types and input rules. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reelstack.errors import InvalidRequestError

MAX_EMAIL = 254  # RFC 5321's path limit
MAX_EMAIL_LOCAL = 64
MIN_PASSWORD = 12  # ASVS 2.1.1
MAX_PASSWORD = 128  # ASVS 2.1.2 asks for at least 64; argon2 hashes any length
MAX_PASSWORD_BYTES = 512


class Role(StrEnum):
    """What an account may do; carried in the access token's ``roles`` claim."""

    VIEWER = "viewer"
    STUDIO = "studio"
    ADMIN = "admin"


def parse_roles(raw: str) -> tuple[Role, ...]:
    """Return the roles of a comma-separated list, refusing unknown names."""
    roles: list[Role] = []
    for name in (part.strip().lower() for part in raw.split(",")):
        if not name:
            continue
        try:
            role = Role(name)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise InvalidRequestError(f"unknown role {name!r} (known: {known})") from None
        if role not in roles:
            roles.append(role)
    return tuple(roles)


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the service's callers see it (never its password hash)."""

    id: str
    email: str
    roles: tuple[Role, ...]


def normalize_email(raw: str) -> str:
    """Return ``raw`` as the account's key (trimmed, lower-case) or refuse it with the reason.

    Deliberately a shape check, not RFC 5322: one ``@``, a local part and a
    dotted domain, no spaces or control characters, within the SMTP limits.
    """
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL:
        raise InvalidRequestError(f"email: longer than {MAX_EMAIL} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in email):
        raise InvalidRequestError("email: contains spaces or control characters")
    local, at, domain = email.rpartition("@")
    if not at or not local or "@" in local:
        raise InvalidRequestError("email: expected exactly one '@' with a name before it")
    if len(local) > MAX_EMAIL_LOCAL:
        raise InvalidRequestError(f"email: the part before '@' exceeds {MAX_EMAIL_LOCAL}")
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels) or any(lab.startswith("-") for lab in labels):
        raise InvalidRequestError("email: the domain must be dotted names, e.g. example.com")
    return email


def check_password(password: str, *, email: str) -> None:
    """Refuse a password outside the length bounds, or a trivially guessable one."""
    if len(password) < MIN_PASSWORD:
        raise InvalidRequestError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD or len(password.encode()) > MAX_PASSWORD_BYTES:
        raise InvalidRequestError(f"password: at most {MAX_PASSWORD} characters")
    if len(set(password)) < 4:
        raise InvalidRequestError("password: uses fewer than 4 different characters")
    lowered = password.lower()
    if email.split("@")[0] in lowered and len(email.split("@")[0]) >= 4:
        raise InvalidRequestError("password: contains the email's name")


# -- profiles ---------------------------------------------------------------------------

MAX_PROFILES = 5


class Maturity(StrEnum):
    """The most mature content a profile sees, lowest first.

    ``kids``: TV-Y, TV-G, G; ``older-kids``: TV-PG, PG; ``teens``: TV-14,
    PG-13; ``adults``: everything. A kids profile is ``kids`` or ``older-kids``.
    """

    KIDS = "kids"
    OLDER_KIDS = "older-kids"
    TEENS = "teens"
    ADULTS = "adults"


KIDS_LEVELS = frozenset({Maturity.KIDS, Maturity.OLDER_KIDS})


@dataclass(frozen=True, slots=True)
class Profile:
    """A profile of an account (its PIN only as whether it has one)."""

    id: str
    account_id: str
    name: str
    avatar: str
    language: str
    maturity: Maturity
    kids: bool
    has_pin: bool


def check_profile(*, kids: bool, maturity: Maturity) -> None:
    """Refuse a kids profile allowed past ``older-kids``."""
    if kids and maturity not in KIDS_LEVELS:
        raise InvalidRequestError(
            f"a kids profile's maturity is {Maturity.KIDS} or {Maturity.OLDER_KIDS}, not {maturity}"
        )


# -- plans ------------------------------------------------------------------------------


class PlanName(StrEnum):
    """The plans an account may be on."""

    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a plan allows: concurrent streams and the tallest rendition (None: any)."""

    name: PlanName
    max_streams: int
    max_height: int | None


PLANS: dict[PlanName, Plan] = {
    PlanName.BASIC: Plan(PlanName.BASIC, 1, 720),
    PlanName.STANDARD: Plan(PlanName.STANDARD, 2, 1080),
    PlanName.PREMIUM: Plan(PlanName.PREMIUM, 4, None),
}
DEFAULT_PLAN = PlanName.BASIC
