"""API shapes of the identity service.

Field bounds are generous outer limits (a body past them is refused with 422
and the field named); the real rules, with their reasons, are in
:mod:`reelstack.identity.models`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from reelstack.identity.models import MAX_EMAIL, MAX_PASSWORD, Maturity, PlanName


class Credentials(BaseModel):
    email: str = Field(min_length=1, max_length=MAX_EMAIL + 10)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class AccountOut(BaseModel):
    id: str
    email: str
    roles: list[str]


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokensOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str


class RefreshProfileIn(RefreshIn):
    """A refresh that may switch the session to one of the account's profiles."""

    profile_id: str | None = Field(default=None, min_length=1, max_length=64)
    pin: str | None = Field(default=None, min_length=1, max_length=8)


ProfileName = Annotated[str, Field(min_length=1, max_length=50)]
Avatar = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
# A BCP 47 tag in its common shape (en, pt-BR, zh-Hant-TW).
Language = Annotated[
    str, Field(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
]
Pin = Annotated[str, Field(min_length=4, max_length=4, pattern=r"^[0-9]{4}$")]


class ProfileIn(BaseModel):
    name: ProfileName
    avatar: Avatar = "default"
    language: Language = "en"
    maturity: Maturity = Maturity.ADULTS
    kids: bool = False
    pin: Pin | None = None


class ProfilePatch(BaseModel):
    """Fields to change; ``"pin": null`` removes the PIN."""

    name: ProfileName | None = None
    avatar: Avatar | None = None
    language: Language | None = None
    maturity: Maturity | None = None
    kids: bool | None = None
    pin: Pin | None = None


class ProfileOut(BaseModel):
    id: str
    name: str
    avatar: str
    language: str
    maturity: Maturity
    kids: bool
    has_pin: bool


class ProfilesOut(BaseModel):
    profiles: list[ProfileOut]


class PlanOut(BaseModel):
    name: PlanName
    max_streams: int
    max_height: int | None


class PlansOut(BaseModel):
    plans: list[PlanOut]


class PlanIn(BaseModel):
    plan: PlanName
