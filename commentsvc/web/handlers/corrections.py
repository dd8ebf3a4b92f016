"""Corrections desk routes (issue 16): readers report an error, moderators decide, the
public sees only which passages were corrected (never a report, never a reporter)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from commentsvc.auth import Principal
from commentsvc.clock import now_utc
from commentsvc.corrections.desk import CorrectionDesk
from commentsvc.corrections.links import CONFIRM
from commentsvc.corrections.mail import ReporterMail
from commentsvc.corrections.reports import parse_decision, parse_report
from commentsvc.errors import BadRequest, NotFound
from commentsvc.notify.subscriptions import email_hint
from commentsvc.store.corrections import CorrectedPassage, Correction, CorrectionStatus
from commentsvc.store.subscriptions import UNSUBSCRIBED_ALL
from commentsvc.validation import MAX_KEY_CHARS, is_plain_int, is_site_id
from commentsvc.views import rfc3339
from commentsvc.web.auth_middleware import moderator_only
from commentsvc.web.handlers.public import (
    check_origin,
    client_of,
    json_response,
    limit,
    query_param,
    read_form,
    read_json,
)
from commentsvc.web.keys import RUNTIME
from commentsvc.web.page_language import link_page, page_catalogue, wants_html

CORRECTIONS = web.AppKey("corrections", CorrectionDesk)
REPORTER_MAIL = web.AppKey("reporter_mail", ReporterMail)
STATIC = Path(__file__).resolve().parent.parent / "static"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ACCEPTED = "Thank you: the newsroom will look at this passage. Reports are never published."
PUBLIC_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"
STATUSES = (*(s.value for s in CorrectionStatus if s is not CorrectionStatus.SPAM), "all")


async def corrections_context(app: web.Application) -> AsyncIterator[None]:
    """The desk and the reporters' mail (queued for the notifier), wired to the runtime."""
    runtime = app[RUNTIME]
    mail = ReporterMail(runtime.store, runtime.keys, runtime.limiter)
    app[REPORTER_MAIL] = mail
    app[CORRECTIONS] = CorrectionDesk(runtime.store, mail)
    yield


def public_json(p: CorrectedPassage) -> dict[str, Any]:
    return {
        "id": p.id,
        "anchor": p.anchor.to_json(),
        "public_note": p.public_note,
        "corrected_at": rfc3339(p.corrected_at),
    }


def moderator_json(c: Correction) -> dict[str, Any]:
    return {
        "id": c.id,
        "site": c.site_id,
        "thread": {"key": c.thread_key, "title": c.thread_title, "url": c.thread_url},
        "anchor": c.anchor.to_json(),
        "note": c.note,
        "reporter_email": c.reporter_email,
        "email_confirmed": c.email_confirmed_at is not None,
        "lang": c.lang,
        "ip_hash": c.ip_hash,
        "status": c.status.value,
        "public_note": c.public_note,
        "decided_by": c.decided_by,
        "decided_at": rfc3339(c.decided_at),
        "reporter_notified": c.notified_at is not None,
        "created_at": rfc3339(c.created_at),
    }


async def report(request: web.Request) -> web.Response:
    """POST /api/v1/corrections — report an error in a passage, privately (202)."""
    runtime = request.app[RUNTIME]
    ip_hash, client = client_of(request, runtime)
    await limit(runtime, "correction", ip_hash)
    new = parse_report(await read_json(request))
    await check_origin(request, runtime, new.site)
    site = await runtime.service.require_site(new.site)
    await request.app[CORRECTIONS].report(site.id, new, ip_hash, client.user_agent)
    return json_response({"status": "accepted", "detail": ACCEPTED}, status=202)


async def corrected(request: web.Request) -> web.Response:
    """GET /api/v1/corrections — a thread's corrected passages (date and public note only)."""
    site = query_param(request, "site", "default", 64) or "default"
    key = query_param(request, "thread", "", MAX_KEY_CHARS)
    if not key:
        raise BadRequest("query parameter 'thread' is required")
    # Like a thread read: an unknown site or thread has no corrections (200).
    found = await request.app[CORRECTIONS].corrected(site, key) if is_site_id(site) else []
    return json_response(
        {"thread": key, "corrections": [public_json(p) for p in found]},
        headers={"Cache-Control": PUBLIC_CACHE_CONTROL},
    )


@moderator_only
async def list_reports(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/corrections — a site's reports, oldest first."""
    site = query_param(request, "site", "default", 64) or "default"
    status = query_param(request, "status", "open", 16) or "open"
    if status not in STATUSES:
        raise BadRequest("query parameter 'status' must be one of " + ", ".join(STATUSES))
    cursor = query_param(request, "cursor", "", 12)
    # Ids are 32-bit on PostgreSQL: a longer number was never given, and would overflow (500).
    if cursor and (not is_plain_int(cursor) or len(cursor) > 9):
        raise BadRequest("query parameter 'cursor' is not one this API gave")
    limit_n = 50
    desk = request.app[CORRECTIONS]
    items = await desk.listing(
        who,
        site,
        None if status == "all" else CorrectionStatus(status),
        int(cursor) if cursor else None,
    )
    return json_response(
        {
            "items": [moderator_json(c) for c in items],
            "next_cursor": str(items[-1].id) if len(items) == limit_n else None,
            "open_count": await desk.count_open(who, site),
        }
    )


@moderator_only
async def decide(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/corrections/{id}/decision — corrected, not an error, duplicate."""
    desk = request.app[CORRECTIONS]
    await desk.load(who, request.match_info["id"])  # 404 before the body
    decision = parse_decision(await read_json(request))
    return json_response(moderator_json(await desk.decide(who, request.match_info["id"], decision)))


async def page_script(request: web.Request) -> web.Response:
    """GET /moderate/corrections.js — the Corrections tab of the moderation page."""
    return web.Response(
        body=(STATIC / "corrections.js").read_bytes(),
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def _page(
    request: web.Request, state: str, found: Correction | None, status: int = 200
) -> web.Response:
    catalogue = page_catalogue(
        request, found.site_id if found else "", found.lang if found else None
    )
    return link_page(
        request,
        "correction.html",
        catalogue,
        status,
        state=state,
        email_hint=email_hint(found.reporter_email or "") if found else "",
        thread_title=(found.thread_title or found.thread_key) if found else "",
    )


def _bad_link(request: web.Request) -> web.Response:
    """A forged, altered or expired link: a page for browsers, problem+json for the rest
    (as the subscription links answer); nothing changes."""
    if not wants_html(request):
        raise NotFound("this link is not valid: it may be incomplete, altered or expired")
    return _page(request, "invalid", None, status=404)


async def confirm_page(request: web.Request) -> web.Response:
    """GET /c/{token} — confirm a reporter's address (a button; GET changes nothing)."""
    read = await request.app[REPORTER_MAIL].read(request.match_info["token"])
    if read is None:
        return _bad_link(request)
    purpose, found = read
    if purpose != CONFIRM:  # the List-Unsubscribe link: only the offer to stop all mail
        return _page(request, "offer", found)
    return _page(request, "confirmed" if found.email_confirmed_at else "confirm", found)


async def confirm(request: web.Request) -> web.Response:
    """POST /c/{token} — confirm the address; `scope=all` or RFC 8058 one-click stops all mail."""
    read = await request.app[REPORTER_MAIL].read(request.match_info["token"])
    if read is None:
        return _bad_link(request)
    purpose, found = read
    stop = purpose != CONFIRM
    if request.content_type in FORM_TYPES:
        form = await read_form(request)
        stop = stop or form.get("scope") == "all" or form.get("List-Unsubscribe") == "One-Click"
    store = request.app[RUNTIME].store
    if stop:
        await store.subscriptions.suppress(found.reporter_email or "", UNSUBSCRIBED_ALL, now_utc())
        return _page(request, "stopped", found)
    confirmed = await store.corrections.confirm_email(found.id, now_utc())
    if confirmed is not None and confirmed.status is CorrectionStatus.CORRECTED:
        await request.app[CORRECTIONS].tell_reporter(confirmed)  # corrected before confirming
    return _page(request, "confirmed", confirmed or found)


ROUTES = [
    ("POST", "/api/v1/corrections", report),
    ("GET", "/api/v1/corrections", corrected),
    ("GET", "/api/v1/moderation/corrections", list_reports),
    ("POST", "/api/v1/moderation/corrections/{id}/decision", decide),
    ("GET", "/moderate/corrections.js", page_script),
    ("GET", "/c/{token}", confirm_page),
    ("POST", "/c/{token}", confirm),
]
