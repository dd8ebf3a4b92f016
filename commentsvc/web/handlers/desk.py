"""Desk routes (issue 14): feature a comment, reply as staff, a site's webhook endpoints."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commentsvc import views
from commentsvc.auth import Principal
from commentsvc.clock import now_utc
from commentsvc.errors import Conflict, NotFound
from commentsvc.review import desk
from commentsvc.store.webhook_records import Endpoint, WebhookDelivery
from commentsvc.store.webhooks import TooManyEndpoints
from commentsvc.validation import MAX_BODY_CHARS, MAX_NAME_CHARS, Fields, is_plain_int, is_site_id
from commentsvc.views import rfc3339
from commentsvc.web.auth_middleware import moderator_only
from commentsvc.web.handlers.public import json_response, read_json
from commentsvc.web.keys import DECISIONS, RUNTIME
from commentsvc.webhooks import events as ev
from commentsvc.webhooks import signing
from commentsvc.webhooks.guard import Refused, check_api_url


def _bool(f: Fields, name: str, default: bool | None) -> bool | None:
    raw = f.data.get(name)
    if raw is None:
        return default
    if not isinstance(raw, bool):
        f.fail(name, "must be true or false")
        return default
    return raw


# ----- featured comments and staff replies ----------------------------------------------------


@moderator_only
async def feature(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/comments/{id}/feature — {"featured": true|false}."""
    decisions = request.app[DECISIONS]
    comment = await decisions._load(who, request.match_info["id"])  # 404/403 before the body
    f = Fields(await read_json(request))
    if not isinstance(f.data.get("featured"), bool):
        f.fail("featured", "must be true or false")
    f.done()
    await desk.set_featured(request.app[RUNTIME].service, comment.id, f.data["featured"], who.actor)
    return json_response(await decisions.comment(who, comment.id))


@moderator_only
async def staff_reply(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/comments/{id}/replies — reply as staff, approved at once."""
    parent = await request.app[DECISIONS]._load(who, request.match_info["id"])  # before the body
    f = Fields(await read_json(request))
    body = f.text("body", required=True, max_chars=MAX_BODY_CHARS, min_chars=1, multiline=True)
    name = f.text("author_name", max_chars=MAX_NAME_CHARS)
    f.done()
    comment = await desk.staff_reply(request.app[RUNTIME].service, parent, body, name, who.actor)
    return json_response(views.public_comment(comment), status=201)


# ----- webhook endpoints (admins of the site) -------------------------------------------------


def endpoint_json(e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "site": e.site_id,
        "url": e.url,
        "events": list(e.events),
        "format": e.format,
        "allow_private": e.allow_private,
        "enabled": e.enabled,
        "failures": e.failures,
        "disabled_at": rfc3339(e.disabled_at),
        "disabled_reason": e.disabled_reason,
        "created_at": rfc3339(e.created_at),
    }


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event": d.event,
        "event_id": d.event_key,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": rfc3339(d.next_attempt_at),
        "last_error": d.last_error,
        "response_status": d.response_status,
        "sent_at": rfc3339(d.sent_at),
        "created_at": rfc3339(d.created_at),
    }


def _site(request: web.Request, who: Principal) -> str:
    site = request.match_info["site"]
    if not is_site_id(site):
        raise NotFound("no such site")
    who.require_admin(site)
    return site


async def _endpoint(request: web.Request, who: Principal) -> Endpoint:
    site = _site(request, who)
    raw = request.match_info["id"]
    found = None
    if is_plain_int(raw) and len(raw) <= 9:
        found = await request.app[RUNTIME].store.webhooks.endpoint(int(raw))
    if found is None or found.site_id != site:
        raise NotFound("no such webhook endpoint")
    return found


def _events(f: Fields, required: bool) -> list[str] | None:
    raw = f.data.get("events")
    if raw is None and not required:
        return None
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(e, str) and e in ev.EVENT_TYPES for e in raw)
    ):
        f.fail("events", "must be a non-empty list of: " + ", ".join(ev.EVENT_TYPES))
        return None
    return list(dict.fromkeys(raw))


def _format(f: Fields, default: str | None) -> str | None:
    raw = f.data.get("format")
    if raw is None:
        return default
    if raw not in ev.FORMATS:
        f.fail("format", "must be one of " + ", ".join(ev.FORMATS))
        return default
    return str(raw)


def _url(f: Fields, required: bool) -> str | None:
    url = f.url("url")
    if required and not url and "url" not in {e.field for e in f.errors}:
        f.fail("url", "is required")
    if url:
        # No URL the delivery worker would refuse (user info, no host, a bad port) is
        # stored. Whether the host resolves to an allowed address is still checked at
        # every delivery (DNS can change).
        try:
            check_api_url(url)
        except Refused as why:
            f.fail("url", str(why))
            return None
    return url or None  # blank or null: left out


async def _site_exists(request: web.Request, site: str) -> None:
    if await request.app[RUNTIME].store.sites.get(site) is None:
        raise NotFound("no such site")


@moderator_only
async def list_webhooks(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/sites/{site}/webhooks"""
    site = _site(request, who)
    await _site_exists(request, site)
    found = await request.app[RUNTIME].store.webhooks.endpoints(site)
    return json_response({"items": [endpoint_json(e) for e in found]})


@moderator_only
async def add_webhook(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/sites/{site}/webhooks — the answer holds the signing secret, once."""
    site = _site(request, who)
    f = Fields(await read_json(request))
    url = _url(f, required=True)
    event_types = _events(f, required=True)
    fmt = _format(f, "json")
    allow_private = _bool(f, "allow_private", False)
    f.done()
    await _site_exists(request, site)
    runtime = request.app[RUNTIME]
    try:
        endpoint = await runtime.store.webhooks.add_endpoint(
            site,
            url or "",
            event_types or [],
            fmt or "json",
            allow_private=bool(allow_private),
            created_by=who.actor,
            now=now_utc(),
            max_per_site=ev.MAX_ENDPOINTS_PER_SITE,
        )
    except TooManyEndpoints as full:
        raise Conflict(f"{full}; remove one first") from None
    data = endpoint_json(endpoint)
    data["secret"] = signing.endpoint_secret(runtime.keys, endpoint.id, endpoint.secret_salt)
    return json_response(data, status=201)


@moderator_only
async def edit_webhook(request: web.Request, who: Principal) -> web.Response:
    """PATCH /api/v1/sites/{site}/webhooks/{id} — change fields; enabled: true re-enables."""
    endpoint = await _endpoint(request, who)  # 403/404 before the body says anything
    f = Fields(await read_json(request))
    url = _url(f, required=False)
    event_types = _events(f, required=False)
    fmt = _format(f, None)
    allow_private = _bool(f, "allow_private", None)
    enabled = _bool(f, "enabled", None)
    f.done()
    store = request.app[RUNTIME].store.webhooks
    values: dict[str, Any] = {}
    if url is not None:
        values["url"] = url
    if event_types is not None:
        values["events"] = event_types
    if fmt is not None:
        values["format"] = fmt
    if allow_private is not None:
        values["allow_private"] = allow_private
    if enabled is False:
        values.update(enabled=False, disabled_at=now_utc(), disabled_reason="disabled by an admin")
    await store.update_endpoint(endpoint.id, **values)
    if enabled is True and not endpoint.enabled:
        await store.enable(endpoint.id)
    after = await store.endpoint(endpoint.id)
    assert after is not None
    return json_response(endpoint_json(after))


@moderator_only
async def delete_webhook(request: web.Request, who: Principal) -> web.Response:
    """DELETE /api/v1/sites/{site}/webhooks/{id} — the endpoint and its deliveries."""
    endpoint = await _endpoint(request, who)
    await request.app[RUNTIME].store.webhooks.delete_endpoint(endpoint.id)
    return web.Response(status=204)


@moderator_only
async def list_deliveries(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/sites/{site}/webhooks/{id}/deliveries — the latest 50, newest first."""
    endpoint = await _endpoint(request, who)
    found = await request.app[RUNTIME].store.webhooks.deliveries(endpoint.id)
    return json_response({"items": [delivery_json(d) for d in found]})


ROUTES = [
    ("POST", "/api/v1/moderation/comments/{id}/feature", feature),
    ("POST", "/api/v1/moderation/comments/{id}/replies", staff_reply),
    ("GET", "/api/v1/sites/{site}/webhooks", list_webhooks),
    ("POST", "/api/v1/sites/{site}/webhooks", add_webhook),
    ("PATCH", "/api/v1/sites/{site}/webhooks/{id}", edit_webhook),
    ("DELETE", "/api/v1/sites/{site}/webhooks/{id}", delete_webhook),
    ("GET", "/api/v1/sites/{site}/webhooks/{id}/deliveries", list_deliveries),
]
