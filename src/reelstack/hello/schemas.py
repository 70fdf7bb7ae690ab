"""API shapes of the sample service."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Greeting(BaseModel):
    greeting: str
    instance: str
    zone: str


class VisitIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class Visit(BaseModel):
    id: int
    name: str
    visited_at: datetime


class Visits(BaseModel):
    count: int
    visits: list[Visit]
