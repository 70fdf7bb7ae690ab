"""``reelstack users``: add, list and set the roles of accounts, in the relational store.

Runs the identity service's use cases on the store directly (no running
cluster needed), after bringing the service's tables up to date.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from reelstack import services
from reelstack.bootstrap import bootstrap
from reelstack.cli import render
from reelstack.cli.cluster_commands import JsonOption
from reelstack.cli.context import cli_of, console, print_json
from reelstack.config import Config
from reelstack.errors import ReelstackError
from reelstack.identity.models import Account, parse_roles

if TYPE_CHECKING:
    from reelstack.identity.context import IdentityContext

users_app = typer.Typer(help="Manage accounts (identity service).", no_args_is_help=True)

T = TypeVar("T")

RolesArgument = Annotated[
    str, typer.Argument(help="Comma-separated roles: viewer, studio, admin (replaces the old).")
]


def run_identity(config: Config, use_case: Callable[[IdentityContext], Awaitable[T]]) -> T:
    """Run ``use_case`` on identity's store (its tables brought up to date first)."""
    if "identity" not in services.of(config):
        raise ReelstackError(
            "the identity service is not among this deployment's services "
            "(add reelstack.identity to services.extra)"
        )

    # Imported here: the identity service's dependencies (argon2, the SQL
    # stack) load only for the commands that use them.
    from reelstack.identity.context import IdentityContext

    async def main() -> T:
        adapters = bootstrap(config)
        await adapters.open(["sql"])
        try:
            await adapters.sql.migrate("identity")
            return await use_case(IdentityContext.build(config, db=adapters.sql))
        finally:
            await adapters.close()

    return asyncio.run(main())


def _as_json(account: Account) -> dict[str, object]:
    return {"id": account.id, "email": account.email, "roles": list(account.roles)}


@users_app.command("add")
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email.")],
    roles: Annotated[str, typer.Option("--roles", help="Comma-separated roles.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create an account (asks for its password unless --password-stdin)."""
    from reelstack.identity import service

    wanted = parse_roles(roles)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = run_identity(
        cli_of(ctx).config,
        lambda identity: service.sign_up(
            ctx=identity, email=email, password=password, roles=wanted
        ),
    )
    if as_json:
        print_json(_as_json(account))
    else:
        console.print(f"added {escape(account.email)} ({', '.join(account.roles)}) {account.id}")


@users_app.command("list")
def list_users(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the accounts."""
    from reelstack.identity import service

    accounts = run_identity(
        cli_of(ctx).config, lambda identity: service.list_accounts(ctx=identity)
    )
    if as_json:
        print_json([_as_json(a) for a in accounts])
        return
    console.print(accounts_table(accounts))


def accounts_table(accounts: list[Account]) -> Table:
    """The accounts, one line each: an email too long for the terminal is cut."""
    table = render.table("ACCOUNT", "EMAIL", "ROLES", flexible=("EMAIL",))
    for account in accounts:
        table.add_row(account.id, render.clipped(account.email), ",".join(account.roles))
    return table


@users_app.command("set-role")
def set_role(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email.")],
    roles: RolesArgument,
    as_json: JsonOption = False,
) -> None:
    """Replace an account's roles (its next access token carries them)."""
    from reelstack.identity import service

    wanted = parse_roles(roles)
    account = run_identity(
        cli_of(ctx).config,
        lambda identity: service.set_roles(ctx=identity, email=email, roles=wanted),
    )
    if as_json:
        print_json(_as_json(account))
    else:
        console.print(f"{escape(account.email)}: {', '.join(account.roles)}")


@users_app.command("rotate-keys")
def rotate_keys(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Make a new token signing key current; tokens signed before stay valid until they expire."""
    from reelstack.identity import service

    kid = run_identity(
        cli_of(ctx).config, lambda identity: service.rotate_signing_key(ctx=identity)
    )
    if as_json:
        print_json({"kid": kid})
    else:
        console.print(
            f"signing with key {kid}; the gateway fetches it when it first sees a token it signed"
        )


def register(app: typer.Typer) -> None:
    """Add ``users`` to ``app``."""
    app.add_typer(users_app, name="users")
