"""problem+json responses (RFC 9457)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from commentsvc.errors import FieldError

PROBLEM_TYPE = "application/problem+json"

_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    408: ("request-timeout", "Request timeout"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid", "Invalid fields"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    default_slug, default_title = _TITLES.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": f"urn:commentsvc:problem:{slug or default_slug}",
        "title": title or default_title,
        "status": status,
        "detail": _text(detail),
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": _text(e.message)} for e in errors]
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type=PROBLEM_TYPE,
        headers=headers,
    )


def _text(text: str) -> str:
    """Text JSON can carry: a detail may quote a header with undecodable bytes in it."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")
