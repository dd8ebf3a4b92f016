"""Moderator routes: sign-in, the review queue, decisions, bans, policy, stats."""

from __future__ import annotations

from commentsvc.store.review import QUEUE_STATUSES
from commentsvc.web.openapi.core import INT, SCHEMAS, STR, describe, json_body, problems, query, ref


def moderation_operations() -> None:
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
                    "enum": list(QUEUE_STATUSES),
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
                "versions": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 0},
                    "description": "id → the version you saw; a comment changed since gets "
                    "a 409 problem instead of being decided",
                },
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
