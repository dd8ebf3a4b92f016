"""Who is calling the moderation API, and what they may touch."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from commentsvc.errors import Forbidden

ALL_SITES = "*"


class Role(enum.StrEnum):
    """`moderator` works the queue and bans; `admin` also changes site policy."""

    MODERATOR = "moderator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in moderator. `sites` holds site ids, or `*` for every site."""

    moderator_id: int
    email: str
    role: Role
    sites: tuple[str, ...]
    via: str  # "session" or "token"

    @property
    def actor(self) -> str:
        """How audit events and decisions name this moderator."""
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_access(self, site_id: str) -> bool:
        return ALL_SITES in self.sites or site_id in self.sites

    def require_site(self, site_id: str) -> None:
        """Raise 403 unless this moderator works on `site_id`."""
        if not self.can_access(site_id):
            raise Forbidden(f"you do not moderate site {site_id!r}")

    def require_admin(self, site_id: str) -> None:
        """Raise 403 unless this is an admin of `site_id`."""
        self.require_site(site_id)
        if not self.is_admin:
            raise Forbidden("only an admin may do this")
