"""Moderator accounts: adding them, passwords, API tokens (printed once, stored hashed)."""

from __future__ import annotations

from collections.abc import Sequence

from commentsvc.auth.passwords import hash_password
from commentsvc.auth.principal import ALL_SITES, Principal, Role
from commentsvc.errors import Conflict, FieldError, Invalid, NotFound
from commentsvc.security import Keys, new_token
from commentsvc.store import Store
from commentsvc.store.moderators import ModeratorRecord
from commentsvc.validation import Fields

API_TOKEN_PREFIX = "cmod_"  # noqa: S105 - a label, not a secret


def normalize_email(email: str) -> str:
    f = Fields({"email": email})
    value = f.email("email", required=True)
    f.done()
    return (value or "").lower()


def normalize_sites(sites: Sequence[str]) -> tuple[str, ...]:
    """Site ids, or `*` (every site) when none are given."""
    if not sites or ALL_SITES in sites:
        return (ALL_SITES,)
    out = []
    for site in sites:
        f = Fields({"site": site})
        out.append(f.site())
        f.done()
    return tuple(dict.fromkeys(out))


class Accounts:
    def __init__(self, store: Store, keys: Keys) -> None:
        self.store = store
        self.keys = keys

    async def add_moderator(
        self, email: str, password: str, role: str = "moderator", sites: Sequence[str] = ()
    ) -> ModeratorRecord:
        """A new account; `sites` empty means every site. 409 if the email is taken."""
        email = normalize_email(email)
        try:
            role_value = Role(role)
        except ValueError:
            raise Invalid(
                "unknown role", errors=[FieldError("role", "must be moderator or admin")]
            ) from None
        site_ids = normalize_sites(sites)
        if await self.store.moderators.by_email(email) is not None:
            raise Conflict(f"a moderator {email} exists already")
        password_hash = await hash_password(password)
        return await self.store.moderators.add(email, password_hash, role_value.value, site_ids)

    async def set_password(self, email: str, password: str) -> None:
        """A new password; it ends every session of that moderator."""
        record = await self._record(email)
        await self.store.moderators.update(record.id, password_hash=await hash_password(password))

    async def issue_token(self, email: str) -> str:
        """A new API token for this moderator: returned once, only its hash is kept."""
        record = await self._record(email)
        token = API_TOKEN_PREFIX + new_token(32)
        await self.store.moderators.add_token(record.id, self.keys.token_hash(token))
        return token

    async def _record(self, email: str) -> ModeratorRecord:
        record = await self.store.moderators.by_email(normalize_email(email))
        if record is None:
            raise NotFound(f"no moderator {email}")
        return record

    async def sites_of(self, principal: Principal) -> list[str]:
        """The site ids this moderator works on, spelled out (for the moderation page)."""
        return [s.id for s in await self.store.sites.all() if principal.can_access(s.id)]
