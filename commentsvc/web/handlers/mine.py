"""A reader's own data without an account: ask for a link, then see, download or erase.

`POST /api/v1/mine` answers the same for every address (see
`rights.service`). The emailed link opens `/m/{token}`: `GET` only reads
(mail scanners fetch links); the page's forms `POST` to the same URL to end a
subscription or erase everything. The signed token is the authority, as on
the `/u/` pages; a bad one is a 404 that changes nothing (an HTML page for
browsers, problem+json otherwise). Pages carry `Referrer-Policy: no-referrer`
and `Cache-Control: no-store`: their URL holds the token, their body the address.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from commentsvc.errors import BadRequest, FieldError, Invalid, NotFound
from commentsvc.rights.service import READER, Erasure, PeopleService, PersonPage
from commentsvc.validation import Fields, is_plain_int
from commentsvc.web.handlers.public import (
    check_origin,
    client_of,
    json_response,
    limit,
    read_form,
    read_json,
)
from commentsvc.web.keys import PEOPLE, RUNTIME
from commentsvc.web.page_language import PRIVATE_HEADERS, link_page, page_catalogue, wants_html

ACCEPTED = (
    "If we hold comments or subscriptions under this address, a link to them is on its way; "
    "it works for 24 hours."
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def people_context(app: web.Application) -> AsyncIterator[None]:
    """The PeopleService of this app; link lookups still running finish before shutdown."""
    runtime = app[RUNTIME]
    people = PeopleService(runtime.service, runtime.store, runtime.keys, runtime.limiter)
    app[PEOPLE] = people
    yield
    await people.settle()


def _page(request: web.Request, state: str, status: int = 200, **context: Any) -> web.Response:
    context.setdefault("notice", "")
    context.setdefault("error", "")
    page: PersonPage | None = context.get("page")
    sites = sorted(page.site_names) if page is not None else []
    catalogue = page_catalogue(request, sites[0] if len(sites) == 1 else "")
    return link_page(
        request,
        "mine.html",
        catalogue,
        status,
        state=state,
        known=catalogue.messages,
        **context,
    )


def _erase_modes(page: PersonPage) -> list[tuple[str, str]]:
    """(site name, mode) for each site the reader has comments on."""
    sites = sorted({str(c["site"]) for c in page.document["comments"]})
    return [(page.site_names.get(s, s), page.modes.get(s, "delete")) for s in sites]


async def _open(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    email = await _holder_or_page(request)
    if isinstance(email, web.Response):
        return email
    page = await request.app[PEOPLE].page(email)
    return _page(request, "open", status, page=page, erase_modes=_erase_modes(page), **context)


async def request_link(request: web.Request) -> web.Response:
    """POST /api/v1/mine — email a "My comments" link to an address (202, whatever it is)."""
    runtime = request.app[RUNTIME]
    ip_hash, _ = client_of(request, runtime)
    await limit(runtime, "subscribe", ip_hash)
    f = Fields(await read_json(request))
    site_id = f.site()
    email = f.email("email", required=True)
    f.done()
    await check_origin(request, runtime, site_id)
    await runtime.service.require_site(site_id)
    await request.app[PEOPLE].request_link(site_id, email or "", ip_hash)
    return json_response({"status": "accepted", "detail": ACCEPTED}, status=202)


async def page(request: web.Request) -> web.Response:
    """GET /m/{token} — every comment, reply and subscription under the address."""
    return await _open(request)


async def download(request: web.Request) -> web.Response:
    """GET /m/{token}/data.json — everything tied to the address, as a JSON file."""
    people = request.app[PEOPLE]
    email = await people.holder(request.match_info["token"])
    response = json_response(await people.export(email), headers=dict(PRIVATE_HEADERS))
    response.headers["Content-Disposition"] = 'attachment; filename="my-comments.json"'
    return response


async def act(request: web.Request) -> web.Response:
    """POST /m/{token} — `action=unsubscribe&subscription=ID`, or `action=erase&confirm=yes`."""
    people = request.app[PEOPLE]
    email = await _holder_or_page(request)  # a bad link changes nothing, whatever it sends
    if isinstance(email, web.Response):
        return email
    if request.content_type not in FORM_TYPES:
        raise BadRequest("send the page's form (application/x-www-form-urlencoded)")
    form = await read_form(request)
    action = form.get("action")
    if action == "unsubscribe":
        raw = form.get("subscription")
        if not isinstance(raw, str) or not is_plain_int(raw) or len(raw) > 9:  # 32-bit ids
            raise BadRequest("subscription must be a subscription id")
        await people.unsubscribe(email, int(raw))
        return await _open(request, notice="me.unsubscribed")
    if action == "erase":
        if form.get("confirm") != "yes":
            if not wants_html(request):
                raise Invalid(
                    "erasing needs confirm=yes", errors=[FieldError("confirm", "must be yes")]
                )
            return await _open(request, status=422, error="me.tick")
        done: Erasure = await people.erase(email, READER)
        return _page(request, "erased", counts=done.to_json())
    raise BadRequest("action must be unsubscribe or erase")


async def _holder_or_page(request: web.Request) -> str | web.Response:
    """The link's address, or the 404 page (problem+json for non-browsers)."""
    try:
        return await request.app[PEOPLE].holder(request.match_info["token"])
    except NotFound:
        if not wants_html(request):
            raise
        return _page(request, "invalid", status=404)
