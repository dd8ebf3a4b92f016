"""The public API, live updates, pages and operations routes."""

from __future__ import annotations

from commentsvc.web.openapi.core import (
    EDIT_TOKEN,
    INT,
    STR,
    describe,
    json_body,
    problems,
    query,
    ref,
)


def public_operations() -> None:
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
        "Delete your own comment inside the edit window (rate-limited like an edit)",
        tag=tag,
        security=EDIT_TOKEN,
        responses={"204": {"description": "Deleted"}, **problems(403, 404, 409, 429)},
    )
    describe(
        "POST",
        "/api/v1/comments/{id}/votes",
        "Vote a comment up or down (0 withdraws); refused (403) with the comment's own "
        "edit token, or for a 6th voter id from one address on one comment",
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
        "Report a comment. Flags count once per client address, whatever `reporter` says",
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


def ops_operations() -> None:
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


def live_operations() -> None:
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
            # 429: this address already holds its share of open streams (32).
            **problems(400, 403, 404, 429, 503),
        },
    )


def pages_operations() -> None:
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
