"""The public API, live updates, pages and operations routes."""

from __future__ import annotations

from commentsvc.validation import (
    FLAG_REASONS,
    MAX_BODY_CHARS,
    MAX_FLAG_NOTE_CHARS,
    MAX_KEY_CHARS,
    MAX_SITE_CHARS,
)
from commentsvc.web.handlers.public import MAX_COUNT_KEYS
from commentsvc.web.openapi.core import (
    EDIT_TOKEN,
    INT,
    STR,
    choice,
    describe,
    json_body,
    problems,
    query,
    query_text,
    ref,
    text_field,
)

SITE_QUERY = query("site", query_text(MAX_SITE_CHARS), "site id (default: default)")
THREAD_QUERY = query("thread", query_text(MAX_KEY_CHARS, required=True), "the article's key", True)
VOTES = {"type": "object", "required": ["up", "down"], "properties": {"up": INT, "down": INT}}
READER_ID = text_field(
    128,
    min_chars=8,
    required=True,
    strip=False,
    description="An id the widget keeps for this reader (8 to 128 characters, as sent)",
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
            SITE_QUERY,
            THREAD_QUERY,
            query("sort", {"enum": ["newest", "oldest", "top", ""]}, "empty: newest"),
            query("filter", {"enum": ["all", "feedback", ""]}, "empty: all"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
            query("cursor", query_text(256), "from the previous page's next_cursor"),
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
            "200": json_body(
                {"anyOf": [ref("Comment"), ref("AuthorComment")]},
                "The public comment; with its edit token, the author's view (AuthorComment)",
            ),
            **problems(404, 503),
        },
    )
    describe(
        "PATCH",
        "/api/v1/comments/{id}",
        "Edit your own comment inside the edit window",
        tag=tag,
        security=EDIT_TOKEN,
        body={
            "type": "object",
            "required": ["body"],
            "properties": {
                "body": text_field(MAX_BODY_CHARS, min_chars=1, required=True, multiline=True)
            },
        },
        responses={
            "202": json_body(
                {
                    "type": "object",
                    "required": ["id", "status", "comment"],
                    "properties": {
                        "id": STR,
                        "status": {"enum": ["received"]},
                        "comment": {
                            "allOf": [
                                ref("AuthorComment"),
                                {"properties": {"status": {"enum": ["received"]}}},
                            ]
                        },
                    },
                },
                "Accepted; moderated again",
            ),
            # 403 before the body is read: no, another or an expired edit token
            **problems(400, 403, 404, 409, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "DELETE",
        "/api/v1/comments/{id}",
        "Delete your own comment inside the edit window (rate-limited like an edit)",
        tag=tag,
        security=EDIT_TOKEN,
        responses={"204": {"description": "Deleted"}, **problems(403, 404, 409, 429, 503)},
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
            "properties": {"value": {"enum": [1, -1, 0]}, "voter": READER_ID},
        },
        responses={
            "200": json_body(VOTES, "The comment's votes now"),
            **problems(400, 403, 404, 413, 415, 422, 429, 503),
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
                "reason": choice(*FLAG_REASONS, required=True),
                "note": text_field(MAX_FLAG_NOTE_CHARS, multiline=True),
                "reporter": READER_ID,
            },
        },
        responses={
            "202": json_body(
                {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"enum": ["received"]}},
                },
                "Recorded",
            ),
            **problems(400, 404, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "GET",
        "/api/v1/counts",
        "Approved comment counts for up to 100 threads",
        tag=tag,
        params=[
            SITE_QUERY,
            query(
                "thread",
                {
                    "type": "array",
                    "items": query_text(MAX_KEY_CHARS, required=True),
                    "minItems": 1,
                    "maxItems": MAX_COUNT_KEYS,
                },
                "repeat for each key",
                required=True,
            ),
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["counts"],
                    "properties": {"counts": {"type": "object", "additionalProperties": INT}},
                }
            ),
            **problems(400, 404, 503),
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
        params=[SITE_QUERY, THREAD_QUERY],
        responses={
            "200": {
                "description": (
                    "An event stream: `comment.approved`, `comment.updated` and "
                    "`comment.deleted` with data `{id, version, count, kind}` (`kind`: comment or "
                    "feedback); `count` with data "
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
                "schema": {"type": "string"},
                "description": "The widget's content hash (16 hex digits, as in the URL "
                "embed.js names); any other value gets the current widget, cached briefly",
            }
        ],
        responses={"200": script, "304": {"description": "Not modified (ETag)"}},
    )
    lang_param = {
        "name": "lang",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "A language tag (de, pt-BR, …) or auto; the best shipped match is "
        "chosen, else the site's default language, else English",
    }
    site_param = {
        "name": "site",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "site id",
    }
    describe(
        "GET",
        "/i18n/{site}/{lang}.json",
        "Which language file the widget loads: {lang, dir, url} (revalidated after 5 minutes)",
        tag=tag,
        params=[site_param, lang_param],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["lang", "dir", "url"],
                    "properties": {"lang": STR, "dir": {"enum": ["ltr", "rtl"]}, "url": STR},
                }
            ),
            "304": {"description": "Not modified (ETag)"},
            **problems(404),
        },
    )
    describe(
        "GET",
        "/i18n/{site}/{lang}.{hash}.json",
        "The widget's messages in one language (the site's overrides included), immutable "
        "for a year under the current hash",
        tag=tag,
        params=[
            site_param,
            {**lang_param, "description": "a shipped language (en, de, ar, …)"},
            {
                "name": "hash",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "The file's content hash (16 hex digits); any other value "
                "gets the current file, cached briefly",
            },
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["lang", "dir", "messages"],
                    "properties": {
                        "lang": STR,
                        "dir": {"enum": ["ltr", "rtl"]},
                        "messages": {"type": "object"},
                    },
                }
            ),
            "304": {"description": "Not modified (ETag)"},
            **problems(404),
        },
    )
    describe(
        "GET",
        "/demo",
        "A demo article with the widget, feedback questions and count badges",
        tag=tag,
        responses={"200": {"description": "HTML page", "content": {"text/html": {"schema": STR}}}},
    )
