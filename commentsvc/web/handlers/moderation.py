"""Moderation API handlers (signed-in moderators only) and the /moderate page."""

from __future__ import annotations

import functools
from datetime import datetime
from importlib import resources
from typing import Any

from aiohttp import web

from commentsvc.auth import Principal
from commentsvc.errors import BadRequest, NotFound, ServiceError
from commentsvc.policy import Policy, PolicyError
from commentsvc.review.bans import BAN_KINDS, NewBan
from commentsvc.review.decisions import ACTIONS, QueueQuery
from commentsvc.review.replay import DEFAULT_DAYS, MAX_DAYS, ReplayRequest
from commentsvc.store.review import QUEUE_STATUSES
from commentsvc.validation import MAX_BODY_CHARS, Fields, is_plain_int, is_site_id, json_int
from commentsvc.web.auth_middleware import moderator_only
from commentsvc.web.handlers.public import json_response, query_param, read_json
from commentsvc.web.keys import DECISIONS

MAX_NOTE_CHARS = 2000
MAX_BULK_IDS = 500
MAX_QUERY_CHARS = 200

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _site_param(request: web.Request) -> str:
    return query_param(request, "site", "default", 64) or "default"


def _limit_param(request: web.Request) -> int:
    raw = query_param(request, "limit", "50", 8) or "50"
    if not is_plain_int(raw) or not 1 <= int(raw) <= 100:
        raise BadRequest("limit must be an integer from 1 to 100")
    return int(raw)


def _version(f: Fields) -> int | None:
    raw = f.data.get("version")
    if raw is None:
        return None
    version = json_int(raw)
    if version is None or version < 1:
        f.fail("version", "must be the comment's version (a positive integer)")
        return None
    return version


def _action(f: Fields) -> str:
    action = f.data.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        f.fail("action", "must be one of " + ", ".join(ACTIONS))
        return ""
    return str(action)


def _note(f: Fields) -> str:
    return f.text("note", max_chars=MAX_NOTE_CHARS, multiline=True)


# ----- the queue -----------------------------------------------------------------------


@moderator_only
async def list_comments(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/comments — the review queue by status, searched and paged."""
    status = query_param(request, "status", "pending", 16) or "pending"
    if status not in QUEUE_STATUSES:
        raise BadRequest("status must be one of " + ", ".join(QUEUE_STATUSES))
    query = QueueQuery(
        site=_site_param(request),
        status=status,
        thread=query_param(request, "thread", "", 512),
        q=query_param(request, "q", "", MAX_QUERY_CHARS).strip(),
        limit=_limit_param(request),
        cursor=query_param(request, "cursor", "", 256),
    )
    return json_response(await request.app[DECISIONS].queue(who, query))


@moderator_only
async def get_comment(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/comments/{id} — one comment as a moderator sees it."""
    return json_response(await request.app[DECISIONS].comment(who, request.match_info["id"]))


@moderator_only
async def decide(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/comments/{id}/decision — approve, reject, spam, delete or restore."""
    f = Fields(await read_json(request))
    action, note, version = _action(f), _note(f), _version(f)
    f.done()
    data = await request.app[DECISIONS].decide(who, request.match_info["id"], action, note, version)
    return json_response(data)


@moderator_only
async def decide_many(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/decisions — one action on many comments; a result per id."""
    f = Fields(await read_json(request))
    raw_ids = f.data.get("ids")
    comment_ids: list[str] = []
    if (
        not isinstance(raw_ids, list)
        or not raw_ids
        or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in raw_ids)
    ):
        f.fail("ids", "must be a non-empty list of comment ids")
    elif len(raw_ids) > MAX_BULK_IDS:
        f.fail("ids", f"at most {MAX_BULK_IDS} ids at once")
    else:
        comment_ids = raw_ids
    versions = _versions(f, comment_ids)
    action, note = _action(f), _note(f)
    f.done()
    results = await request.app[DECISIONS].decide_many(who, comment_ids, action, note, versions)
    return json_response(
        {
            "results": {
                cid: "ok" if not isinstance(r, ServiceError) else _problem(r)
                for cid, r in results.items()
            }
        }
    )


def _versions(f: Fields, comment_ids: list[str]) -> dict[str, int]:
    """Optional `versions` {id: version}: the versions the moderator saw (409 if stale)."""
    raw = f.data.get("versions")
    if raw is None:
        return {}
    versions = {key: json_int(v) for key, v in raw.items()} if isinstance(raw, dict) else {}
    if (
        not isinstance(raw, dict)
        or any(v is None or v < 0 for v in versions.values())
        or not set(versions) <= set(comment_ids)
    ):
        f.fail("versions", "must map ids in `ids` to the versions you saw (integers)")
        return {}
    return {key: v for key, v in versions.items() if v is not None}


def _problem(exc: ServiceError) -> dict[str, Any]:
    return {
        "type": f"urn:commentsvc:problem:{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
    }


@moderator_only
async def edit_comment(request: web.Request, who: Principal) -> web.Response:
    """PATCH /api/v1/moderation/comments/{id} — a moderator edits the body (audited)."""
    f = Fields(await read_json(request))
    body = f.text("body", required=True, max_chars=MAX_BODY_CHARS, min_chars=1, multiline=True)
    note, version = _note(f), _version(f)
    f.done()
    data = await request.app[DECISIONS].edit(who, request.match_info["id"], body, note, version)
    return json_response(data)


@moderator_only
async def comment_events(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/comments/{id}/events — the comment's audit trail, oldest first."""
    found = await request.app[DECISIONS].events(who, request.match_info["id"])
    return json_response({"events": found})


@moderator_only
async def comment_thread(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/comments/{id}/thread — the comment with its parents and replies."""
    return json_response(await request.app[DECISIONS].thread(who, request.match_info["id"]))


# ----- bans -----------------------------------------------------------------------------


@moderator_only
async def list_bans(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/bans — a site's bans in force (`expired=1` adds the rest)."""
    expired = query_param(request, "expired", "0", 5) in ("1", "true")
    items = await request.app[DECISIONS].bans.for_site(who, _site_param(request), expired)
    return json_response({"items": items})


MAX_BAN_YEAR = 9000


def _expires_at(f: Fields) -> datetime | None:
    raw = f.data.get("expires_at")
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        f.fail("expires_at", "must be an RFC 3339 time with a zone, e.g. 2030-01-31T12:00:00Z")
        return None
    if value <= datetime.now(value.tzinfo):
        f.fail("expires_at", "must be in the future")
    elif value.year >= MAX_BAN_YEAR:  # later ones overflow in UTC; omit it for a lasting ban
        f.fail(
            "expires_at", f"must be before the year {MAX_BAN_YEAR}; leave it out to ban for good"
        )
        return None
    return value


@moderator_only
async def add_ban(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/moderation/bans — ban an email, address, domain or name (`purge` too)."""
    f = Fields(await read_json(request))
    site = f.site()
    kind = f.data.get("kind")
    if not isinstance(kind, str) or kind not in BAN_KINDS:
        f.fail("kind", "must be one of " + ", ".join(BAN_KINDS))
    value = f.text("value", required=True, max_chars=254)
    reason = f.text("reason", max_chars=500)
    expires_at = _expires_at(f)
    purge = f.data.get("purge", False)
    if not isinstance(purge, bool):
        f.fail("purge", "must be true or false")
    f.done()
    new = NewBan(site, str(kind), value, reason, expires_at, bool(purge))
    data = await request.app[DECISIONS].bans.add(who, new)
    return json_response(data, status=201)


@moderator_only
async def remove_ban(request: web.Request, who: Principal) -> web.Response:
    """DELETE /api/v1/moderation/bans/{id} — lift a ban (204)."""
    raw = request.match_info["id"]
    if not is_plain_int(raw) or len(raw) > 9:  # ban ids are 32-bit integers
        raise NotFound("no such ban")
    await request.app[DECISIONS].bans.remove(who, int(raw))
    return web.Response(status=204)


# ----- stats and policy -------------------------------------------------------------------


@moderator_only
async def stats(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/moderation/stats — counts per status, oldest pending, decisions by rule."""
    return json_response(await request.app[DECISIONS].stats(who, _site_param(request)))


def _site_in_path(request: web.Request) -> str:
    """The `{site}` of the path: what can't be a site id names no site (404)."""
    site = request.match_info["site"]
    if not is_site_id(site):
        raise NotFound("no such site (a site id is lower-case letters, digits, - and _)")
    return site


@moderator_only
async def get_policy(request: web.Request, who: Principal) -> web.Response:
    """GET /api/v1/sites/{site}/policy — a site's whole moderation policy (admins)."""
    data = await request.app[DECISIONS].policy(who, _site_in_path(request))
    return json_response(data)


@moderator_only
async def put_policy(request: web.Request, who: Principal) -> web.Response:
    """PUT /api/v1/sites/{site}/policy — replace a site's policy, validated (admins)."""
    site = _site_in_path(request)
    data = await request.app[DECISIONS].set_policy(who, site, await read_json(request))
    return json_response(data)


@moderator_only
async def patch_policy(request: web.Request, who: Principal) -> web.Response:
    """PATCH /api/v1/sites/{site}/policy — set the fields sent, keep the others (admins)."""
    site = _site_in_path(request)
    who.require_admin(site)
    data = await request.app[DECISIONS].set_policy(who, site, await read_json(request), merge=True)
    return json_response(data)


@moderator_only
async def replay_policy(request: web.Request, who: Principal) -> web.Response:
    """POST /api/v1/sites/{site}/policy/replay — what a proposed policy would change (admins)."""
    site = _site_in_path(request)
    who.require_admin(site)  # before the body: an outsider learns nothing from a 422
    f = Fields(await read_json(request))
    raw_days = f.data.get("days")
    days = DEFAULT_DAYS if raw_days is None else json_int(raw_days)
    if days is None or not 1 <= days <= MAX_DAYS:
        f.fail("days", f"must be an integer from 1 to {MAX_DAYS}")
    raw = f.data.get("policy")
    policy = Policy()
    if not isinstance(raw, dict):
        f.fail("policy", "must be an object: the proposed policy")
    else:
        try:
            policy = Policy.from_json(raw)
        except PolicyError as exc:
            for field, message in exc.errors:
                f.fail(f"policy.{field}", message)
    f.done()
    replay = ReplayRequest(site, policy, days or DEFAULT_DAYS)
    return json_response(await request.app[DECISIONS].replays.replay(who, replay))


# ----- the page ---------------------------------------------------------------------------

_ASSETS = {
    "moderate.html": "text/html",
    "moderate.js": "text/javascript",
    "moderate.css": "text/css",
}


@functools.cache
def _asset(name: str) -> bytes:
    return resources.files("commentsvc.web").joinpath("static", name).read_bytes()


def _serve(name: str, extra: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=_asset(name),
        content_type=_ASSETS[name],
        charset="utf-8",
        headers={"Cache-Control": "no-cache", **(extra or {})},
    )


async def page(request: web.Request) -> web.Response:
    """GET /moderate — the moderation page (plain HTML, strict Content-Security-Policy)."""
    return _serve("moderate.html", {"Content-Security-Policy": PAGE_CSP})


async def page_script(request: web.Request) -> web.Response:
    """GET /moderate/moderate.js — the moderation page's script."""
    return _serve("moderate.js")


async def page_style(request: web.Request) -> web.Response:
    """GET /moderate/moderate.css — the moderation page's style sheet."""
    return _serve("moderate.css")
