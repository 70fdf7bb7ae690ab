"""Routes of profiles: every one scoped to the caller's account (``x-account-id``).

Another account's profile id answers 404, as an id that does not exist.
Changes (create, change, delete) answer 403 to a token of a profile below
adults' maturity (``profiles.check_manager``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from reelstack.identity import profiles
from reelstack.identity.api import CallerHeader, ProfileHeader, caller_of
from reelstack.identity.context import IdentityDep
from reelstack.identity.models import Profile
from reelstack.identity.schemas import ProfileIn, ProfileOut, ProfilePatch, ProfilesOut

ProfileId = Annotated[str, Path(min_length=1, max_length=64)]


def _out(profile: Profile) -> ProfileOut:
    return ProfileOut(
        id=profile.id,
        name=profile.name,
        avatar=profile.avatar,
        language=profile.language,
        maturity=profile.maturity,
        kids=profile.kids,
        has_pin=profile.has_pin,
    )


def make_profiles_router() -> APIRouter:
    """Return the profile routes (under ``/identity/profiles``)."""
    router = APIRouter(prefix="/identity/profiles", tags=["identity"])

    @router.get("")
    async def list_profiles(ctx: IdentityDep, caller: CallerHeader = None) -> ProfilesOut:
        """List the caller's profiles."""
        found = await profiles.list_profiles(ctx=ctx, account_id=caller_of(caller))
        return ProfilesOut(profiles=[_out(p) for p in found])

    @router.post("", status_code=201)
    async def create(
        body: ProfileIn,
        ctx: IdentityDep,
        caller: CallerHeader = None,
        acting: ProfileHeader = None,
    ) -> ProfileOut:
        """Create a profile (409 past five, or for a second kids profile)."""
        account = caller_of(caller)
        await profiles.check_manager(ctx=ctx, account_id=account, profile_id=acting)
        profile = await profiles.create(
            ctx=ctx,
            account_id=account,
            name=body.name,
            avatar=body.avatar,
            language=body.language,
            maturity=body.maturity,
            kids=body.kids,
            pin=body.pin,
        )
        return _out(profile)

    @router.get("/{profile_id}")
    async def get(
        profile_id: ProfileId, ctx: IdentityDep, caller: CallerHeader = None
    ) -> ProfileOut:
        """Return one of the caller's profiles."""
        account = caller_of(caller)
        return _out(await profiles.get(ctx=ctx, account_id=account, profile_id=profile_id))

    @router.patch("/{profile_id}")
    async def change(
        profile_id: ProfileId,
        body: ProfilePatch,
        ctx: IdentityDep,
        caller: CallerHeader = None,
        acting: ProfileHeader = None,
    ) -> ProfileOut:
        """Change one of the caller's profiles (``"pin": null`` removes its PIN)."""
        account = caller_of(caller)
        await profiles.check_manager(ctx=ctx, account_id=account, profile_id=acting)
        changes = profiles.ProfileChanges(
            name=body.name,
            avatar=body.avatar,
            language=body.language,
            maturity=body.maturity,
            kids=body.kids,
            pin=body.pin,
            clear=frozenset(name for name in body.model_fields_set if getattr(body, name) is None),
        )
        profile = await profiles.change(
            ctx=ctx, account_id=account, profile_id=profile_id, changes=changes
        )
        return _out(profile)

    @router.delete("/{profile_id}", status_code=204)
    async def delete(
        profile_id: ProfileId,
        ctx: IdentityDep,
        caller: CallerHeader = None,
        acting: ProfileHeader = None,
    ) -> Response:
        """Delete one of the caller's profiles."""
        account = caller_of(caller)
        await profiles.check_manager(ctx=ctx, account_id=account, profile_id=acting)
        await profiles.delete(ctx=ctx, account_id=account, profile_id=profile_id)
        return Response(status_code=204)

    return router
