"""Admin routes for readers' data rights: export or erase everything under an address.

A person's data is not one site's (subscriptions, suppressions and emails
span sites), so these need an admin of every site (`--site '*'`, the default, or
each site there is).
The address travels in the JSON body, never in a URL that logs would keep.
"""

from __future__ import annotations

from aiohttp import web

from commentsvc.auth import Principal
from commentsvc.auth.principal import ALL_SITES
from commentsvc.errors import Forbidden
from commentsvc.validation import Fields
from commentsvc.web.auth_middleware import moderator_only
from commentsvc.web.handlers.public import json_response, read_json
from commentsvc.web.keys import PEOPLE


async def _require_admin_everywhere(request: web.Request, who: Principal) -> None:
    if not who.is_admin:
        raise Forbidden("only an admin may export or erase a person's data")
    if ALL_SITES in who.sites:
        return
    if not set(await request.app[PEOPLE].site_ids()) <= set(who.sites):
        raise Forbidden("a person's data spans every site: only an admin of all sites may do this")


async def _email(request: web.Request) -> str:
    f = Fields(await read_json(request))
    email = f.email("email", required=True)
    f.done()
    return email or ""


@moderator_only
async def export_person(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/people/export — everything held under an address (admins)."""
    await _require_admin_everywhere(request, who)
    email = await _email(request)
    return json_response(await request.app[PEOPLE].export(email))


@moderator_only
async def erase_person(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/people/erase — erase an address everywhere (admins)."""
    await _require_admin_everywhere(request, who)
    email = await _email(request)
    done = await request.app[PEOPLE].erase(email, who.actor)
    return json_response({"erased": done.to_json()})
