"""Subscriptions: ask for email (public API), and the pages the emailed links open.

`GET` on a link never changes anything (mail scanners fetch links); the
pages' buttons `POST` to the same URL. `POST /u/{token}` is also the RFC 8058
one-click target mail providers call with `List-Unsubscribe=One-Click`: it
needs no cookie, no CSRF token and no JavaScript, the signed token is the
authority. A bad token is a 404 that changes nothing (an HTML page for
browsers, problem+json otherwise).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from commentsvc.errors import NotFound
from commentsvc.i18n import shipped_language
from commentsvc.notify.subscriptions import GONE, LinkView
from commentsvc.validation import parse_subscription
from commentsvc.web.handlers.public import (
    check_origin,
    client_of,
    json_response,
    limit,
    read_form,
    read_json,
)
from commentsvc.web.keys import RUNTIME
from commentsvc.web.page_language import link_page, page_catalogue, wants_html

ACCEPTED = (
    "If this address can get email from us, a confirmation link is on its way; "
    "nothing will be sent until it is used."
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _page(request: web.Request, view: LinkView, status: int = 200) -> web.Response:
    """The page in the subscription's language, else the reader's browser's or the site's."""
    catalogue = page_catalogue(request, view.site_id, view.lang)
    return link_page(request, "subscription.html", catalogue, status, view=view)


async def _link(request: web.Request, action: Callable[[str], Awaitable[LinkView]]) -> web.Response:
    """Run `action` on the link's token and show the outcome as a page."""
    try:
        view = await action(request.match_info["token"])
    except NotFound as exc:
        if not wants_html(request):
            raise
        return _page(request, LinkView("gone" if exc.detail == GONE else "invalid"), status=404)
    return _page(request, view)


async def subscribe(request: web.Request) -> web.Response:
    """POST /api/v1/subscriptions — ask for email about a thread; a confirmation goes out (202)."""
    runtime = request.app[RUNTIME]
    ip_hash, _ = client_of(request, runtime)
    await limit(runtime, "subscribe", ip_hash)
    asked = parse_subscription(await read_json(request))
    await check_origin(request, runtime, asked.site_id)
    site = await runtime.service.require_site(asked.site_id)
    await runtime.service.subscriptions.subscribe(
        site, asked.thread, asked.email, asked.kind, ip_hash, shipped_language(asked.lang_tag)
    )
    return json_response({"status": "accepted", "detail": ACCEPTED}, status=202)


async def confirm_page(request: web.Request) -> web.Response:
    """GET /s/{token} — the confirm page: what would be confirmed, and a button."""
    return await _link(request, request.app[RUNTIME].service.subscriptions.confirm_view)


async def confirm(request: web.Request) -> web.Response:
    """POST /s/{token} — confirm the subscription (again is fine)."""
    return await _link(request, request.app[RUNTIME].service.subscriptions.confirm)


async def unsubscribe_page(request: web.Request) -> web.Response:
    """GET /u/{token} — the unsubscribe page, with the option to stop all email."""
    return await _link(request, request.app[RUNTIME].service.subscriptions.unsubscribe_view)


async def unsubscribe(request: web.Request) -> web.Response:
    """POST /u/{token} — unsubscribe (RFC 8058 one-click); `scope=all` stops all email."""
    service = request.app[RUNTIME].service.subscriptions
    everything = False
    if request.content_type in FORM_TYPES:
        form = await read_form(request)
        everything = form.get("scope") == "all"
    return await _link(request, functools.partial(service.unsubscribe, everything=everything))
