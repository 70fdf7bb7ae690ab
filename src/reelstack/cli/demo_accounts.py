"""The demo's accounts: a viewer with an adult and a kids profile, a studio, an admin.

``reelstack demo`` makes them (again, harmlessly, on every run: an account
that exists keeps its password and gets its roles and missing profiles back)
and prints them; the README names them. Their passwords are public: the demo
cluster listens on 127.0.0.1 only, and an operator who opens it wider makes
accounts of their own with ``reelstack users add``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.markup import escape

from reelstack.cli.context import console
from reelstack.cli.users import run_identity
from reelstack.config import Config
from reelstack.identity.models import Maturity, Role

if TYPE_CHECKING:
    from reelstack.identity.context import IdentityContext


@dataclass(frozen=True, slots=True)
class DemoProfile:
    """A profile the demo viewer account gets."""

    name: str
    maturity: Maturity
    kids: bool = False
    avatar: str = "fox"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """An account ``reelstack demo`` makes, with what it is for."""

    email: str
    password: str
    roles: tuple[Role, ...]
    about: str
    profiles: tuple[DemoProfile, ...] = ()


DEMO_ACCOUNTS = (
    DemoAccount(
        "viewer@example.com",
        "watch-reelstack",
        (Role.VIEWER,),
        "watch: an adult and a kids profile",
        (
            DemoProfile("Alex", Maturity.ADULTS),
            DemoProfile("Kids", Maturity.KIDS, kids=True, avatar="owl"),
        ),
    ),
    DemoAccount(
        "studio@example.com",
        "upload-reelstack",
        (Role.VIEWER, Role.STUDIO),
        "upload, encode, publish",
    ),
    DemoAccount(
        "admin@example.com",
        "operate-reelstack",
        (Role.VIEWER, Role.STUDIO, Role.ADMIN),
        "everything, and the cluster's controls",
    ),
)


async def _ensure(ctx: IdentityContext) -> list[str]:
    """Make the demo accounts and profiles that are missing; return what was made."""
    from reelstack.identity import profiles, service

    made: list[str] = []
    existing = {account.email: account for account in await service.list_accounts(ctx=ctx)}
    for demo in DEMO_ACCOUNTS:
        account = existing.get(demo.email)
        if account is None:
            account = await service.sign_up(
                ctx=ctx, email=demo.email, password=demo.password, roles=demo.roles
            )
            made.append(demo.email)
        elif set(account.roles) != set(demo.roles):
            account = await service.set_roles(ctx=ctx, email=demo.email, roles=demo.roles)
        names = {p.name for p in await profiles.list_profiles(ctx=ctx, account_id=account.id)}
        for wanted in demo.profiles:
            if wanted.name in names:
                continue
            await profiles.create(
                ctx=ctx,
                account_id=account.id,
                name=wanted.name,
                avatar=wanted.avatar,
                language="en",
                maturity=wanted.maturity,
                kids=wanted.kids,
                pin=None,
            )
            made.append(f"{demo.email}: profile {wanted.name}")
    return made


def ensure(config: Config) -> list[str]:
    """Make the demo accounts that are missing (identity's store, no running cluster needed)."""
    return run_identity(config, _ensure)


def print_accounts() -> None:
    """Print the demo accounts and their passwords."""
    console.print("\n[bold]demo accounts[/] (sign in at the web app; passwords are public)")
    for demo in DEMO_ACCOUNTS:
        profiles = ", ".join(f"{p.name}{' (kids)' if p.kids else ''}" for p in demo.profiles)
        console.print(
            f"  {escape(demo.email)} / {escape(demo.password)}: {escape(demo.about)}"
            + (f" [{escape(profiles)}]" if profiles else "")
        )
