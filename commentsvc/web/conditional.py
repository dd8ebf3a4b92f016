"""Conditional GET: does a request's If-None-Match name the current entity tag?"""

from __future__ import annotations

from aiohttp import web


def not_modified(request: web.Request, *etags: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or any listed tag equal to one of `etags` (weak comparison)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    current = {etag.removeprefix("W/") for etag in etags}
    return any(tag.strip().removeprefix("W/") in current for tag in header.split(","))
