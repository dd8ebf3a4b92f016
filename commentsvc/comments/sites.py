"""Sites, their policies and allowed origins, from a short in-process cache.

Every part asks here (through `CommentService.site` / `.policy`) rather than the
store, so a busy thread costs no site read per request; `forget` drops a site
when its row changes (a policy write, a new origin).
"""

from __future__ import annotations

import time

from commentsvc.comments.memo import Memo
from commentsvc.errors import FieldError, Invalid
from commentsvc.models import Site
from commentsvc.policy import Policy, policy_of
from commentsvc.store import Store

SITE_CACHE_TTL_S = 5.0


class SiteDirectory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._sites: Memo[str, Site | None] = Memo(store.sites.get, SITE_CACHE_TTL_S)
        self._policies: dict[str, tuple[Site | None, Policy]] = {}
        self._origins: frozenset[str] = frozenset()
        self._origins_until = 0.0

    async def site(self, site_id: str) -> Site | None:
        return await self._sites.get(site_id)

    async def require_site(self, site_id: str) -> Site:
        site = await self.site(site_id)
        if site is None:
            raise Invalid(f"unknown site {site_id!r}", errors=[FieldError("site", "unknown site")])
        return site

    async def policy(self, site_id: str) -> Policy:
        site = await self.site(site_id)
        cached = self._policies.get(site_id)
        if cached is not None and cached[0] is site:
            return cached[1]
        policy = policy_of(site)  # parsed once per loaded site row, not once per request
        self._policies[site_id] = (site, policy)
        return policy

    def forget_site(self, site_id: str) -> None:
        self._sites.forget(site_id)
        self._origins_until = 0.0

    async def load_origins(self) -> None:
        """Refresh the union of every site's allowed origins (CORS) when stale."""
        now = time.monotonic()
        if self._origins_until > now:
            return
        origins: set[str] = set()
        for site in await self.store.sites.all():
            origins.update(o.rstrip("/") for o in site.allowed_origins)
        self._origins = frozenset(origins)
        self._origins_until = now + SITE_CACHE_TTL_S

    def origin_allowed_anywhere(self, origin: str) -> bool:
        return "*" in self._origins or origin.rstrip("/") in self._origins

    async def origin_allowed_for(self, site_id: str, origin: str) -> bool:
        site = await self.site(site_id)
        if site is None:
            return False
        allowed = {o.rstrip("/") for o in site.allowed_origins}
        return "*" in allowed or origin.rstrip("/") in allowed
