"""Moderator accounts: adding, changing and removing them, passwords, API tokens.

Whatever takes trust away ends the moderator's credentials at once, in the
same transaction: a new password (it usually follows a leak), a demotion
(admin to moderator, or fewer sites) and removal end every session and
revoke every API token of theirs. Promotions and alert settings keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from commentsvc.auth.passwords import hash_password
from commentsvc.auth.principal import ALL_SITES, Principal, Role
from commentsvc.auth.tokens import API_TOKEN_PREFIX, IssuedToken, clean_label
from commentsvc.clock import now_utc
from commentsvc.errors import Conflict, FieldError, Invalid, NotFound
from commentsvc.security import Keys, new_token
from commentsvc.store import Store
from commentsvc.store.moderators import ModeratorRecord, TokenRecord
from commentsvc.validation import Fields

__all__ = ["API_TOKEN_PREFIX", "Accounts", "RoleChange", "normalize_email", "normalize_sites"]


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


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid(
            "unknown role", errors=[FieldError("role", "must be moderator or admin")]
        ) from None


def _covers(new: Sequence[str], old: Sequence[str]) -> bool:
    """Whether the site list `new` grants at least every site `old` did."""
    return ALL_SITES in new or (ALL_SITES not in old and set(old) <= set(new))


@dataclass(frozen=True, slots=True)
class RoleChange:
    """A moderator after a role or site change; `demoted` ended their credentials."""

    email: str
    role: str
    sites: tuple[str, ...]
    demoted: bool
    tokens_revoked: int


class Accounts:
    def __init__(self, store: Store, keys: Keys) -> None:
        self.store = store
        self.keys = keys

    async def add_moderator(
        self, email: str, password: str, role: str = "moderator", sites: Sequence[str] = ()
    ) -> ModeratorRecord:
        """A new account; `sites` empty means every site. 409 if the email is taken."""
        email = normalize_email(email)
        role_value = _role(role)
        site_ids = normalize_sites(sites)
        if await self.store.moderators.by_email(email) is not None:
            raise Conflict(f"a moderator {email} exists already")
        password_hash = await hash_password(password)
        return await self.store.moderators.add(email, password_hash, role_value.value, site_ids)

    async def set_password(self, email: str, password: str) -> int:
        """A new password; it ends every session and revokes every API token of that
        moderator (returns how many tokens)."""
        record = await self._record(email)
        return await self.store.moderators.update(
            record.id, password_hash=await hash_password(password)
        )

    async def set_role(
        self, email: str, role: str, sites: Sequence[str] | None = None
    ) -> RoleChange:
        """A new role (and, unless None, a new site list). Taking anything away, admin
        rights or a site, ends their sessions and revokes their API tokens."""
        record = await self._record(email)
        new_role = _role(role)
        new_sites = record.sites if sites is None else normalize_sites(sites)
        demoted = (record.role == Role.ADMIN and new_role is Role.MODERATOR) or not _covers(
            new_sites, record.sites
        )
        revoked = await self.store.moderators.update(
            record.id, role=new_role.value, sites=new_sites, sign_out=demoted
        )
        return RoleChange(record.email, new_role.value, tuple(new_sites), demoted, revoked)

    async def remove_moderator(self, email: str) -> None:
        """Delete the account with its sessions and API tokens (the audit trail, which
        names moderators by email, stays)."""
        record = await self._record(email)
        if not await self.store.moderators.remove(record.id):
            raise NotFound(f"no moderator {email}")

    # ----- API tokens -------------------------------------------------------

    async def create_token(
        self, email: str, *, expires_in: timedelta | None = None, label: str = ""
    ) -> IssuedToken:
        """A new API token: the secret is returned once, only its keyed hash is kept."""
        record = await self._record(email)
        label = clean_label(label)
        secret = API_TOKEN_PREFIX + new_token(32)
        expires_at = None if expires_in is None else now_utc() + expires_in
        token_id = await self.store.moderators.add_token(
            record.id, self.keys.token_hash(secret), label=label, expires_at=expires_at
        )
        return IssuedToken(secret, token_id, expires_at)

    async def issue_token(
        self, email: str, *, expires_in: timedelta | None = None, label: str = ""
    ) -> str:
        """The secret of a new API token (see `create_token`)."""
        return (await self.create_token(email, expires_in=expires_in, label=label)).secret

    async def tokens(
        self, email: str | None = None, *, include_inactive: bool = False
    ) -> list[TokenRecord]:
        """API tokens (never their secrets) of one moderator, or of everyone."""
        moderator_id = None if email is None else (await self._record(email)).id
        return await self.store.moderators.tokens(moderator_id, include_inactive=include_inactive)

    async def revoke_tokens(self, email: str, token_ids: Sequence[int] | None = None) -> int:
        """Revoke these live tokens of the moderator (None: all of them); return how many.
        404 names an id that is not a live token of theirs; the others are revoked."""
        record = await self._record(email)
        if token_ids is None:
            return await self.store.moderators.revoke_tokens(record.id)
        revoked, missing = 0, []
        for token_id in dict.fromkeys(token_ids):
            if await self.store.moderators.revoke_token(record.id, token_id):
                revoked += 1
            else:
                missing.append(str(token_id))
        if missing:
            also = f" (the other {revoked} revoked)" if revoked else ""
            raise NotFound(f"{record.email} has no live token {', '.join(missing)}{also}")
        return revoked

    async def _record(self, email: str) -> ModeratorRecord:
        record = await self.store.moderators.by_email(normalize_email(email))
        if record is None:
            raise NotFound(f"no moderator {email}")
        return record

    async def sites_of(self, principal: Principal) -> list[str]:
        """The site ids this moderator works on, spelled out (for the moderation page)."""
        return [s.id for s in await self.store.sites.all() if principal.can_access(s.id)]
