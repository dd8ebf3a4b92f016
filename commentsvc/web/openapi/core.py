"""Building blocks of the OpenAPI description: the registry, helpers, shared schemas."""

from __future__ import annotations

from typing import Any

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
