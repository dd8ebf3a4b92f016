"""The OpenAPI 3.1 description served at /api/openapi.json.

Operations are registered per (method, path) in `OPERATIONS`; a test checks
that they match the router exactly, so a route can't be added undocumented.
Other modules (moderation, notifications, pages) add theirs with `describe`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commentsvc import __version__
from commentsvc.policy import policy_fields

JSON = "application/json"
PROBLEM = "application/problem+json"

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description or "OK", "content": {JSON: {"schema": schema}}}


def problems(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": _PROBLEM_TEXT.get(s, "Error"),
            "content": {PROBLEM: {"schema": ref("Problem")}},
        }
        for s in statuses
    }


_PROBLEM_TEXT = {
    400: "Malformed JSON or query parameter",
    401: "No or bad credentials",
    403: "Not allowed",
    404: "Unknown id, or not visible to this caller",
    409: "Conflict (duplicate, closed thread, edit after replies, stale decision)",
    413: "Body larger than the limit",
    415: "Not JSON",
    422: "A field breaks its rules; every broken field is listed",
    429: "Rate limited; see Retry-After",
    503: "A dependency is down; see Retry-After",
}


def describe(
    method: str,
    path: str,
    summary: str,
    *,
    tag: str,
    responses: dict[str, Any],
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> None:
    """Register one operation of the description."""
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    path_params = [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]
    all_params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in path_params
    ] + (params or [])
    if all_params:
        op["parameters"] = all_params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if security is not None:
        op["security"] = security
    OPERATIONS[(method.upper(), path)] = op


def query(
    name: str, schema: dict[str, Any], description: str = "", required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


STR = {"type": "string"}
INT = {"type": "integer"}
EDIT_TOKEN: list[dict[str, list[str]]] = [{"editToken": []}]

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": STR,
            "title": STR,
            "status": INT,
            "detail": STR,
            "errors": {
                "type": "array",
                "items": {"type": "object", "properties": {"field": STR, "message": STR}},
            },
        },
    },
    "Anchor": {
        "type": "object",
        "properties": {"quote": STR, "prefix": STR, "suffix": STR, "block": STR},
    },
    "Comment": {
        "type": "object",
        "required": [
            "id",
            "parent_id",
            "kind",
            "author_name",
            "body_html",
            "status",
            "created_at",
            "votes",
            "replies",
        ],
        "properties": {
            "id": STR,
            "parent_id": {"type": ["string", "null"]},
            "kind": {"enum": ["comment", "feedback"]},
            "anchor": {"oneOf": [ref("Anchor"), {"type": "null"}]},
            "author_name": STR,
            "avatar": {
                "type": ["object", "null"],
                "properties": {"initials": STR, "hue": INT},
            },
            "body_html": STR,
            "status": {"enum": ["approved", "deleted"]},
            "created_at": {"type": "string", "format": "date-time"},
            "edited_at": {"type": ["string", "null"], "format": "date-time"},
            "votes": {"type": "object", "properties": {"up": INT, "down": INT}},
            "replies": {"type": "array", "items": ref("Comment")},
        },
    },
    "AuthorComment": {
        "description": (
            "A Comment as its author sees it with the edit token: any status, "
            "the body as written, and why it waits."
        ),
        "allOf": [
            ref("Comment"),
            {
                "type": "object",
                "properties": {
                    "status": {
                        "enum": ["received", "approved", "pending", "spam", "rejected", "deleted"]
                    },
                    "body": STR,
                    "waiting_because": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"rule": STR, "message": STR}},
                    },
                },
            },
        ],
    },
    "NewComment": {
        "type": "object",
        "required": ["thread", "body"],
        "properties": {
            "site": {**STR, "default": "default"},
            "thread": {**STR, "minLength": 1, "maxLength": 512},
            "thread_url": {**STR, "format": "uri"},
            "thread_title": {**STR, "maxLength": 512},
            "parent_id": STR,
            "body": {**STR, "minLength": 1, "maxLength": 10000},
            "author_name": {**STR, "maxLength": 64, "default": "Guest"},
            "author_email": {**STR, "format": "email"},
            "notify": {"enum": ["none", "replies", "thread"], "default": "none"},
            "anchor": ref("Anchor"),
            "website": {**STR, "description": "Honeypot: leave empty"},
        },
    },
    "Accepted": {
        "type": "object",
        "properties": {
            "id": STR,
            "status": {"enum": ["received"]},
            "edit_token": STR,
            "edit_until": {"type": "string", "format": "date-time"},
            "comment": ref("AuthorComment"),
        },
    },
    "ThreadPage": {
        "type": "object",
        "properties": {
            "thread": {
                "type": "object",
                "properties": {
                    "key": STR,
                    "title": STR,
                    "url": STR,
                    "closed": {"type": "boolean"},
                    "count": INT,
                    "feedback_count": INT,
                },
            },
            "comments": {"type": "array", "items": ref("Comment")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "Policy": {"type": "object", "properties": {name: {} for name in policy_fields()}},
}


def _public_operations() -> None:
    tag = "public"
    describe(
        "POST",
        "/api/v1/comments",
        "Post a guest comment or inline feedback",
        tag=tag,
        body=ref("NewComment"),
        responses={
            "202": json_body(ref("Accepted"), "Accepted for moderation"),
            **problems(400, 403, 404, 409, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "GET",
        "/api/v1/comments",
        "Read a thread: approved comments, replies nested",
        tag=tag,
        params=[
            query("site", STR, "site id (default: default)"),
            query("thread", STR, "the article's key", required=True),
            query("sort", {"enum": ["newest", "oldest", "top"]}),
            query("filter", {"enum": ["all", "feedback"]}),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
            query("cursor", STR, "from the previous page's next_cursor"),
        ],
        responses={
            "200": json_body(ref("ThreadPage")),
            "304": {"description": "Not modified (ETag)"},
            **problems(400, 404, 503),
        },
    )
    describe(
        "GET",
        "/api/v1/comments/{id}",
        "One comment (the author with the edit token sees it in any state)",
        tag=tag,
        security=[{}, *EDIT_TOKEN],
        responses={
            "200": json_body({"oneOf": [ref("Comment"), ref("AuthorComment")]}),
            **problems(404),
        },
    )
    describe(
        "PATCH",
        "/api/v1/comments/{id}",
        "Edit your own comment inside the edit window",
        tag=tag,
        security=EDIT_TOKEN,
        body={"type": "object", "required": ["body"], "properties": {"body": STR}},
        responses={
            "202": json_body({"type": "object"}, "Accepted; moderated again"),
            **problems(400, 403, 404, 409, 413, 415, 422, 429),
        },
    )
    describe(
        "DELETE",
        "/api/v1/comments/{id}",
        "Delete your own comment inside the edit window",
        tag=tag,
        security=EDIT_TOKEN,
        responses={"204": {"description": "Deleted"}, **problems(403, 404, 409)},
    )
    describe(
        "POST",
        "/api/v1/comments/{id}/votes",
        "Vote a comment up or down (0 withdraws)",
        tag=tag,
        body={
            "type": "object",
            "required": ["value", "voter"],
            "properties": {"value": {"enum": [1, -1, 0]}, "voter": STR},
        },
        responses={
            "200": json_body({"type": "object", "properties": {"up": INT, "down": INT}}),
            **problems(400, 403, 404, 413, 415, 422, 429),
        },
    )
    describe(
        "POST",
        "/api/v1/comments/{id}/flags",
        "Report a comment",
        tag=tag,
        body={
            "type": "object",
            "required": ["reason", "reporter"],
            "properties": {
                "reason": {"enum": ["spam", "abuse", "off_topic", "other"]},
                "note": STR,
                "reporter": STR,
            },
        },
        responses={
            "202": json_body({"type": "object"}, "Recorded"),
            **problems(400, 404, 413, 415, 422, 429),
        },
    )
    describe(
        "GET",
        "/api/v1/counts",
        "Approved comment counts for up to 100 threads",
        tag=tag,
        params=[query("site", STR), query("thread", STR, "repeat for each key", required=True)],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {"counts": {"type": "object", "additionalProperties": INT}},
                }
            ),
            **problems(400),
        },
    )


def _ops_operations() -> None:
    tag = "operations"
    describe(
        "GET", "/healthz", "Liveness", tag=tag, responses={"200": json_body({"type": "object"})}
    )
    describe(
        "GET",
        "/readyz",
        "Readiness: database and Redis answer",
        tag=tag,
        responses={
            "200": json_body({"type": "object"}),
            "503": json_body({"type": "object"}, "Names what is down"),
        },
    )
    describe(
        "GET",
        "/metrics",
        "Prometheus metrics",
        tag=tag,
        responses={
            "200": {"description": "Prometheus text", "content": {"text/plain": {"schema": STR}}}
        },
    )
    describe(
        "GET",
        "/api/openapi.json",
        "This description",
        tag=tag,
        responses={"200": json_body({"type": "object"})},
    )


def _live_operations() -> None:
    describe(
        "GET",
        "/api/v1/stream",
        "Live updates for one thread (Server-Sent Events)",
        tag="public",
        params=[
            query("site", STR, "site id (default: default)"),
            query("thread", STR, "the article's key", required=True),
        ],
        responses={
            "200": {
                "description": (
                    "An event stream: `comment.approved`, `comment.updated` and "
                    "`comment.deleted` with data `{id, version, count}`; `count` with data "
                    "`{count, version}`. A `retry:` hint first, a comment line every ~15 s."
                ),
                "content": {"text/event-stream": {"schema": STR}},
            },
            **problems(400, 403, 404, 503),
        },
    )


def _pages_operations() -> None:
    tag = "pages"
    script = {"description": "The widget", "content": {"text/javascript": {"schema": STR}}}
    describe(
        "GET",
        "/embed.js",
        "The embeddable widget (ETag; revalidated after 5 minutes)",
        tag=tag,
        responses={"200": script, "304": {"description": "Not modified (ETag)"}},
    )
    describe(
        "GET",
        "/embed.{hash}.js",
        "The widget under its content hash (immutable for a year when the hash is current)",
        tag=tag,
        params=[
            {
                "name": "hash",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            }
        ],
        responses={"200": script, "304": {"description": "Not modified (ETag)"}},
    )
    describe(
        "GET",
        "/demo",
        "A demo article with the widget, feedback questions and count badges",
        tag=tag,
        responses={"200": {"description": "HTML page", "content": {"text/html": {"schema": STR}}}},
    )


def _moderation_operations() -> None:
    """Sign-in, the moderation API, site policy and the /moderate page."""
    auth: list[dict[str, list[str]]] = [{"session": []}, {"apiToken": []}]
    nullable_str = {"type": ["string", "null"]}
    SCHEMAS.update(
        {
            "ModComment": {
                "description": (
                    "A Comment plus what a moderator needs. `highlights` mark where each "
                    "reason matched in `body` ([start, end) in Unicode code points)."
                ),
                "allOf": [
                    ref("Comment"),
                    {
                        "type": "object",
                        "properties": {
                            "status": {
                                "enum": [
                                    "received",
                                    "approved",
                                    "pending",
                                    "spam",
                                    "rejected",
                                    "deleted",
                                ]
                            },
                            "site": STR,
                            "version": INT,
                            "author_email": nullable_str,
                            "ip_hash": nullable_str,
                            "user_agent": STR,
                            "thread": {
                                "type": "object",
                                "properties": {"key": STR, "title": STR, "url": STR},
                            },
                            "reasons": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"rule": STR, "detail": STR, "action": STR},
                                },
                            },
                            "highlights": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "start": INT,
                                        "end": INT,
                                        "rule": STR,
                                        "detail": STR,
                                    },
                                },
                            },
                            "score": {"type": ["number", "null"]},
                            "flags": {
                                "type": "object",
                                "properties": {
                                    "count": INT,
                                    "unreviewed": INT,
                                    "reasons": {"type": "object", "additionalProperties": INT},
                                    "notes": {"type": "array", "items": STR},
                                },
                            },
                            "body": STR,
                            "decided_by": nullable_str,
                            "decided_at": {"type": ["string", "null"], "format": "date-time"},
                            "note": STR,
                            "author_history": {"type": "object", "additionalProperties": INT},
                        },
                    },
                ],
            },
            "Ban": {
                "type": "object",
                "properties": {
                    "id": INT,
                    "site": STR,
                    "kind": {"enum": ["email", "ip", "domain", "name"]},
                    "value": STR,
                    "reason": STR,
                    "expires_at": {"type": ["string", "null"], "format": "date-time"},
                    "created_by": STR,
                    "created_at": {"type": "string", "format": "date-time"},
                    "active": {"type": "boolean"},
                },
            },
            "Moderator": {
                "type": "object",
                "properties": {
                    "email": STR,
                    "role": {"enum": ["moderator", "admin"]},
                    "sites": {"type": "array", "items": STR},
                    "all_sites": {"type": "boolean"},
                },
            },
        }
    )
    action = {"enum": ["approve", "reject", "spam", "delete", "restore"]}
    note = {**STR, "maxLength": 2000}
    version = {**INT, "description": "the version you saw; a different one gets 409"}
    site_q = query("site", STR, "site id (default: default)")
    mod_comment = json_body(ref("ModComment"))

    tag = "auth"
    session_body = {
        "type": "object",
        "properties": {
            "csrf_token": nullable_str,
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "moderator": ref("Moderator"),
        },
    }
    describe(
        "POST",
        "/api/v1/auth/login",
        "Sign a moderator in: sets the session cookie, returns the CSRF token",
        tag=tag,
        security=[],
        body={
            "type": "object",
            "required": ["email", "password"],
            "properties": {"email": STR, "password": STR},
        },
        responses={
            "200": json_body(session_body, "Signed in; Set-Cookie commentsvc_session"),
            **problems(400, 401, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "POST",
        "/api/v1/auth/logout",
        "End the session (cookie sessions send X-CSRF-Token)",
        tag=tag,
        security=[{}, {"session": []}],
        responses={"204": {"description": "Signed out"}, **problems(403)},
    )
    describe(
        "GET",
        "/api/v1/auth/session",
        "Who is signed in, and this session's CSRF token (for a reloaded page)",
        tag=tag,
        security=auth,
        responses={"200": json_body(session_body), **problems(401)},
    )

    tag = "moderation"
    describe(
        "GET",
        "/api/v1/moderation/comments",
        "The review queue: comments by status (pending oldest first), searched, paged",
        tag=tag,
        security=auth,
        params=[
            site_q,
            query(
                "status",
                {
                    "enum": [
                        "pending",
                        "flagged",
                        "spam",
                        "rejected",
                        "approved",
                        "deleted",
                        "received",
                        "all",
                    ],
                    "default": "pending",
                },
                "`flagged`: approved or pending comments with reader reports not yet reviewed",
            ),
            query("thread", STR, "only this thread (its key)"),
            query("q", STR, "search body, author name and email (or an exact id / ip_hash)"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
            query("cursor", STR, "from the previous page's next_cursor"),
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": ref("ModComment")},
                        "next_cursor": nullable_str,
                    },
                }
            ),
            **problems(400, 401, 403, 404),
        },
    )
    describe(
        "GET",
        "/api/v1/moderation/comments/{id}",
        "One comment as a moderator sees it",
        tag=tag,
        security=auth,
        responses={"200": mod_comment, **problems(401, 403, 404)},
    )
    describe(
        "PATCH",
        "/api/v1/moderation/comments/{id}",
        "Edit a comment's body as a moderator (audited with the previous text)",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["body"],
            "properties": {
                "body": {**STR, "minLength": 1, "maxLength": 10000},
                "note": note,
                "version": version,
            },
        },
        responses={"200": mod_comment, **problems(400, 401, 403, 404, 409, 413, 415, 422)},
    )
    describe(
        "POST",
        "/api/v1/moderation/comments/{id}/decision",
        "Decide on one comment. approve: received|pending|spam|rejected → approved; "
        "reject, spam: → rejected, spam; delete: any → deleted; "
        "restore: deleted|rejected|spam → pending",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["action"],
            "properties": {"action": action, "note": note, "version": version},
        },
        responses={"200": mod_comment, **problems(400, 401, 403, 404, 409, 413, 415, 422)},
    )
    describe(
        "GET",
        "/api/v1/moderation/comments/{id}/events",
        "The comment's audit trail, oldest first",
        tag=tag,
        security=auth,
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "events": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": INT,
                                    "actor": STR,
                                    "action": STR,
                                    "from_status": nullable_str,
                                    "to_status": nullable_str,
                                    "note": STR,
                                    "at": {"type": "string", "format": "date-time"},
                                },
                            },
                        }
                    },
                }
            ),
            **problems(401, 403, 404),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/decisions",
        "One decision on many comments; each id reports `ok` or a problem (403 as a whole "
        "when any comment is on a site you don't moderate)",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["ids", "action"],
            "properties": {
                "ids": {"type": "array", "items": STR, "minItems": 1, "maxItems": 500},
                "action": action,
                "note": note,
            },
        },
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "results": {
                            "type": "object",
                            "additionalProperties": {
                                "oneOf": [{"const": "ok"}, ref("Problem")],
                            },
                        }
                    },
                }
            ),
            **problems(400, 401, 403, 413, 415, 422),
        },
    )
    describe(
        "GET",
        "/api/v1/moderation/bans",
        "A site's bans in force",
        tag=tag,
        security=auth,
        params=[site_q, query("expired", {"enum": ["0", "1"]}, "1: include expired bans")],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref("Ban")}},
                }
            ),
            **problems(400, 401, 403, 404),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/bans",
        "Ban an email, address (a raw IP or an ip_hash), domain or name; `purge` also "
        "rejects the author's pending and approved comments (in the background past 100)",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["kind", "value"],
            "properties": {
                "site": {**STR, "default": "default"},
                "kind": {"enum": ["email", "ip", "domain", "name"]},
                "value": STR,
                "reason": STR,
                "expires_at": {"type": ["string", "null"], "format": "date-time"},
                "purge": {"type": "boolean", "default": False},
            },
        },
        responses={
            "201": json_body(
                {
                    "type": "object",
                    "properties": {
                        "ban": ref("Ban"),
                        "purge": {
                            "type": ["object", "null"],
                            "properties": {
                                "status": {"enum": ["done", "running"]},
                                "rejected": {"type": ["integer", "null"]},
                            },
                        },
                    },
                },
                "Banned",
            ),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )
    describe(
        "DELETE",
        "/api/v1/moderation/bans/{id}",
        "Lift a ban",
        tag=tag,
        security=auth,
        responses={"204": {"description": "Lifted"}, **problems(401, 403, 404)},
    )
    describe(
        "GET",
        "/api/v1/moderation/stats",
        "Counts per status, the oldest pending comment's age, decisions of the last 24 h",
        tag=tag,
        security=auth,
        params=[site_q],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "site": STR,
                        "counts": {"type": "object", "additionalProperties": INT},
                        "oldest_pending_at": {"type": ["string", "null"], "format": "date-time"},
                        "oldest_pending_age_s": {"type": ["number", "null"]},
                        "decisions_24h": {
                            "type": "object",
                            "properties": {
                                "total": INT,
                                "by_rule": {"type": "object", "additionalProperties": INT},
                                "by_status": {"type": "object", "additionalProperties": INT},
                                "by_moderator": {"type": "object", "additionalProperties": INT},
                            },
                        },
                    },
                }
            ),
            **problems(400, 401, 403, 404),
        },
    )
    describe(
        "GET",
        "/api/v1/sites/{site}/policy",
        "A site's whole policy, every field with its value (admins)",
        tag=tag,
        security=auth,
        responses={"200": json_body(ref("Policy")), **problems(401, 403, 404)},
    )
    describe(
        "PUT",
        "/api/v1/sites/{site}/policy",
        "Replace a site's policy; fields left out take their defaults (admins)",
        tag=tag,
        security=auth,
        body=ref("Policy"),
        responses={
            "200": json_body(ref("Policy")),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )

    tag = "pages"
    describe(
        "GET",
        "/moderate",
        "The moderation page (keyboard-driven queue)",
        tag=tag,
        responses={"200": {"description": "HTML page", "content": {"text/html": {"schema": STR}}}},
    )
    describe(
        "GET",
        "/moderate/moderate.js",
        "The moderation page's script",
        tag=tag,
        responses={
            "200": {"description": "Script", "content": {"text/javascript": {"schema": STR}}}
        },
    )
    describe(
        "GET",
        "/moderate/moderate.css",
        "The moderation page's style sheet",
        tag=tag,
        responses={"200": {"description": "Style sheet", "content": {"text/css": {"schema": STR}}}},
    )


def _subscription_operations() -> None:
    """Subscribing (double opt-in) and the pages emailed links open."""
    html = {"description": "HTML page", "content": {"text/html": {"schema": STR}}}
    bad_link = {
        "description": "Forged, altered or expired link (an HTML page for browsers); "
        "nothing changes",
        "content": {PROBLEM: {"schema": ref("Problem")}, "text/html": {"schema": STR}},
    }
    describe(
        "POST",
        "/api/v1/subscriptions",
        "Ask for email about new comments or replies; a confirmation email follows. "
        "The answer is the same whether or not the address is subscribed or blocked.",
        tag="public",
        body={
            "type": "object",
            "required": ["thread", "email"],
            "properties": {
                "site": {**STR, "default": "default"},
                "thread": STR,
                "email": {"type": "string", "format": "email"},
                "kind": {"enum": ["thread", "replies"], "default": "thread"},
            },
        },
        responses={
            "202": json_body(
                {"type": "object", "properties": {"status": STR, "detail": STR}}, "Accepted"
            ),
            **problems(400, 403, 413, 415, 422, 429),
        },
    )
    describe(
        "GET",
        "/s/{token}",
        "Confirm page (changes nothing; its button POSTs to the same URL)",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "POST",
        "/s/{token}",
        "Confirm the subscription",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "GET",
        "/u/{token}",
        "Unsubscribe page, with the option to stop all email to the address",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "POST",
        "/u/{token}",
        "Unsubscribe (RFC 8058 one-click: body List-Unsubscribe=One-Click; scope=all stops "
        "all email to the address). No cookie, CSRF token or JavaScript needed.",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    OPERATIONS[("POST", "/u/{token}")]["requestBody"] = {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "List-Unsubscribe": {"enum": ["One-Click"]},
                        "scope": {"enum": ["subscription", "all"]},
                    },
                }
            }
        },
    }


_public_operations()
_live_operations()
_subscription_operations()
_pages_operations()
_ops_operations()
_moderation_operations()


def openapi_spec(app: web.Application | None = None) -> dict[str, Any]:
    """The whole description, built from the registered operations."""
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in sorted(OPERATIONS.items()):
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "commentsvc",
            "version": __version__,
            "description": "Comments, moderation and notifications for article sites.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "editToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The edit_token returned when the comment was posted",
                },
                "apiToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A moderator API token from `commentsvc moderator token`",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "commentsvc_session",
                    "description": "Moderator session; unsafe requests also send X-CSRF-Token",
                },
            },
        },
    }
