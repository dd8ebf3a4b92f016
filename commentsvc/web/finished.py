"""A cached thread page sent as it is: headers built once per version, gzip negotiated.

`finished_response` answers from a `CachedPage` alone: a matching If-None-Match
gets a 304, a reader accepting gzip gets the gzip copy (compressed once per
version, with its own entity tag), anyone else the identity bytes. Both carry
`Vary: Accept-Encoding`. The header sets, the security headers included, are
built the first time a version is sent and kept on the page, so a request
costs one dict copy, not a dozen header writes.
"""

from __future__ import annotations

from aiohttp import web

from commentsvc.comments.pagecache import CachedPage
from commentsvc.web.conditional import not_modified
from commentsvc.web.security_headers import SECURITY_HEADERS, FinishedResponse

JSON_TYPE = "application/json"
MAX_REMEMBERED_HEADERS = 256
_gzip_accepted: dict[str, bool] = {}  # Accept-Encoding value → does it accept gzip


def accepts_gzip(accept_encoding: str) -> bool:
    """RFC 9110 §12.5.3: `gzip` (or `x-gzip`, or `*`) listed without q=0."""
    known = _gzip_accepted.get(accept_encoding)
    if known is not None:
        return known
    accepted: dict[str, bool] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        accepted[coding.strip()] = q > 0
    gzip = accepted.get("gzip", accepted.get("x-gzip", accepted.get("*", False)))
    if len(_gzip_accepted) >= MAX_REMEMBERED_HEADERS:
        _gzip_accepted.clear()
    _gzip_accepted[accept_encoding] = gzip
    return gzip


def _headers(page: CachedPage, cache_control: str, gzip: bool, status: int) -> dict[str, str]:
    """The headers of one variant of `page` (for a 200 or a 304), built once and kept on it."""
    name = f"{status} {'gzip' if gzip else 'identity'}"
    headers = page.prepared.get(name)
    if headers is None:
        headers = {
            **SECURITY_HEADERS,
            "ETag": page.gzip_etag if gzip else page.etag,
            "Cache-Control": cache_control,
            "Vary": "Accept-Encoding",
        }
        if status == 200:
            headers["Content-Type"] = JSON_TYPE
            if gzip:
                headers["Content-Encoding"] = "gzip"
        page.prepared[name] = headers
    return headers


def finished_response(request: web.Request, page: CachedPage, cache_control: str) -> web.Response:
    """200 with the negotiated variant, or 304 when the reader holds either one."""
    gzipped = page.gzipped() if accepts_gzip(request.headers.get("Accept-Encoding", "")) else None
    gzip = gzipped is not None
    if not_modified(request, page.etag, page.gzip_etag):
        return FinishedResponse(status=304, headers=_headers(page, cache_control, gzip, 304))
    body = page.body if gzipped is None else gzipped
    return FinishedResponse(body=body, headers=_headers(page, cache_control, gzip, 200))
