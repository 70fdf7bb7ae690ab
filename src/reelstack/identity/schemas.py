"""API shapes of the identity service.

Field bounds are generous outer limits (a body past them is refused with 422
and the field named); the real rules, with their reasons, are in
:mod:`reelstack.identity.models`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from reelstack.identity.models import MAX_EMAIL, MAX_PASSWORD


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
