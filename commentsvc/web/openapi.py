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


_public_operations()
_ops_operations()


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
