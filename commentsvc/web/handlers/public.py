"""Public API handlers: anyone may call these (rate-limited, CORS per site)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

import orjson
from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from commentsvc.comments.service import Client
from commentsvc.errors import BadRequest, Forbidden, NotFound, RateLimited, UnsupportedMediaType
from commentsvc.runtime import Runtime
from commentsvc.store.comments import Sort
from commentsvc.validation import (
    has_control_chars,
    is_plain_int,
    parse_edit,
    parse_flag,
    parse_new_comment,
    parse_vote,
)
from commentsvc.views import author_comment, rfc3339
from commentsvc.web.client import client_ip
from commentsvc.web.finished import finished_response
from commentsvc.web.keys import RUNTIME

JSON_TYPE = "application/json"
THREAD_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
SORTS = ("newest", "oldest", "top")
FILTERS = ("all", "feedback")
MAX_COUNT_KEYS = 100


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), status=status, content_type=JSON_TYPE, headers=headers
    )


async def read_json(request: web.Request) -> Any:
    """The request body as JSON: 415 if not JSON, 413 if too large, 400 if malformed."""
    if request.content_type != JSON_TYPE:
        raise UnsupportedMediaType(
            f"send the body as {JSON_TYPE} (got {request.content_type or 'nothing'})"
        )
    raw = await request.read()
    if not raw.strip():
        raise BadRequest("the request body is empty; send a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | FileField]:
    """The request body as a form: 400 if it is broken or in a charset without a codec
    (`request.post()` raises ValueError for the one, LookupError for the other)."""
    try:
        return await request.post()
    except (ValueError, LookupError):
        raise BadRequest("the form in the request body could not be read") from None


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_of(request: web.Request, runtime: Runtime) -> tuple[str, Client]:
    ip = client_ip(request, runtime.settings.trusted_proxies)
    ip_hash = runtime.keys.ip_hash(ip)
    user_agent = request.headers.get("User-Agent", "")[:512]
    if not user_agent.isprintable():  # undecodable bytes or controls: keep only the text
        user_agent = "".join(ch for ch in user_agent if ch.isprintable())
    return ip_hash, Client(ip_hash=ip_hash, user_agent=user_agent)


async def limit(runtime: Runtime, bucket: str, subject: str) -> None:
    retry_after_s = await runtime.limiter.hit(bucket, subject)
    if retry_after_s is not None:
        raise RateLimited(
            f"too many requests; try again in {retry_after_s} s", retry_after_s=retry_after_s
        )


def query_param(request: web.Request, name: str, default: str = "", max_chars: int = 512) -> str:
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise BadRequest(f"query parameter {name!r} given more than once")
    value = values[0] if values else default
    if len(value) > max_chars:
        raise BadRequest(f"query parameter {name!r} is longer than {max_chars} characters")
    if has_control_chars(value, allow_newlines=False):
        raise BadRequest(f"query parameter {name!r} contains control characters")
    return value


def path_param(request: web.Request, name: str, max_chars: int = 64) -> str:
    """A `{name}` part of the path, refused (400) when too long or holding control characters."""
    value = request.match_info[name]
    if len(value) > max_chars or has_control_chars(value, allow_newlines=False):
        raise BadRequest(f"{name!r} in the path must be at most {max_chars} printable characters")
    return value


async def check_origin(request: web.Request, runtime: Runtime, site_id: str) -> None:
    """A browser posting from another origin must be one the site allows."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    public = urlsplit(runtime.settings.resolved_public_url)
    same = origin in (
        f"{public.scheme}://{public.netloc}",
        f"http://{request.host}",
        f"https://{request.host}",
    )
    if not same and not await runtime.service.origin_allowed_for(site_id, origin):
        raise Forbidden(f"origin {origin} may not post to site {site_id!r}")


async def post_comment(request: web.Request) -> web.Response:
    """POST /api/v1/comments — accept a guest comment for moderation (202)."""
    runtime = request.app[RUNTIME]
    _, client = client_of(request, runtime)
    new = parse_new_comment(await read_json(request))  # limits are counted in service.post
    await check_origin(request, runtime, new.site)
    posted = await runtime.service.post(new, client)
    comment = posted.comment
    return json_response(
        {
            "id": comment.id,
            "status": comment.status.value,
            "edit_token": posted.edit_token,
            "edit_until": rfc3339(posted.edit_until),
            "comment": author_comment(comment),
        },
        status=202,
        headers={"Location": f"/api/v1/comments/{comment.id}"},
    )


# site, thread, sort, feedback only, limit, cursor
ThreadQuery = tuple[str, str, Sort, bool, int, str]
MAX_REMEMBERED_QUERIES = 4096
MAX_REMEMBERED_QUERY_CHARS = 1024
_thread_queries: dict[str, ThreadQuery] = {}  # raw query string → its checked parameters


def thread_query(request: web.Request) -> ThreadQuery:
    """The checked parameters of a thread read; a query string already seen is not parsed again."""
    raw = request.query_string
    known = _thread_queries.get(raw)
    if known is not None:
        return known
    site = query_param(request, "site", "default", 64) or "default"
    thread = query_param(request, "thread")
    if not thread:
        raise BadRequest("query parameter 'thread' is required")
    sort = query_param(request, "sort", "newest") or "newest"
    if sort not in SORTS:
        raise BadRequest("sort must be one of " + ", ".join(SORTS))
    filter_ = query_param(request, "filter", "all") or "all"
    if filter_ not in FILTERS:
        raise BadRequest("filter must be one of " + ", ".join(FILTERS))
    limit_raw = query_param(request, "limit", "50", 8) or "50"
    if not is_plain_int(limit_raw) or not 1 <= int(limit_raw) <= 100:
        raise BadRequest("limit must be an integer from 1 to 100")
    cursor = query_param(request, "cursor", "", 256)
    query = (site, thread, cast(Sort, sort), filter_ == "feedback", int(limit_raw), cursor)
    if len(raw) <= MAX_REMEMBERED_QUERY_CHARS:
        if len(_thread_queries) >= MAX_REMEMBERED_QUERIES:
            _thread_queries.clear()
        _thread_queries[raw] = query
    return query


async def get_thread(request: web.Request) -> web.Response:
    """GET /api/v1/comments — one page of a thread's approved comments, replies nested."""
    runtime = request.app[RUNTIME]
    site, thread, sort, feedback_only, limit_n, cursor = thread_query(request)
    if await runtime.service.site(site) is None:
        raise NotFound(f"unknown site {site!r}")
    page = await runtime.reader.thread_page(site, thread, sort, feedback_only, limit_n, cursor)
    return finished_response(request, page, THREAD_CACHE_CONTROL)


async def get_comment(request: web.Request) -> web.Response:
    """GET /api/v1/comments/{id} — one public comment, or the author's own in any state."""
    runtime = request.app[RUNTIME]
    data = await runtime.reader.visible_comment(request.match_info["id"], bearer_token(request))
    return json_response(data, headers={"Cache-Control": "no-store"})


async def edit_comment(request: web.Request) -> web.Response:
    """PATCH /api/v1/comments/{id} — the author edits inside the window; moderated again (202)."""
    runtime = request.app[RUNTIME]
    ip_hash, _ = client_of(request, runtime)
    await limit(runtime, "post", ip_hash)
    comment_id, token = request.match_info["id"], bearer_token(request)
    await runtime.actions.own(comment_id, token)  # 404 / 403 before the body is read
    body = parse_edit(await read_json(request))
    comment = await runtime.actions.edit_own(comment_id, token, body)
    return json_response(
        {"id": comment.id, "status": comment.status.value, "comment": author_comment(comment)},
        status=202,
    )


async def delete_comment(request: web.Request) -> web.Response:
    """DELETE /api/v1/comments/{id} — the author deletes inside the window (204)."""
    runtime = request.app[RUNTIME]
    ip_hash, _ = client_of(request, runtime)
    await limit(runtime, "post", ip_hash)  # an author's write, like an edit
    await runtime.actions.delete_own(request.match_info["id"], bearer_token(request))
    return web.Response(status=204)


async def vote(request: web.Request) -> web.Response:
    """POST /api/v1/comments/{id}/votes — one vote per voter: 1, -1, or 0 to withdraw."""
    runtime = request.app[RUNTIME]
    ip_hash, client = client_of(request, runtime)
    await limit(runtime, "vote", ip_hash)
    value, voter = parse_vote(await read_json(request))
    up, down = await runtime.actions.vote(
        request.match_info["id"], voter, value, client, bearer_token(request)
    )
    return json_response({"up": up, "down": down})


async def flag(request: web.Request) -> web.Response:
    """POST /api/v1/comments/{id}/flags — report a comment; enough reports mean review again."""
    runtime = request.app[RUNTIME]
    ip_hash, client = client_of(request, runtime)
    await limit(runtime, "flag", ip_hash)
    reason, note, reporter = parse_flag(await read_json(request))
    await runtime.actions.flag(request.match_info["id"], reporter, reason, note, client)
    return json_response({"status": "received"}, status=202)


async def counts(request: web.Request) -> web.Response:
    """GET /api/v1/counts — approved counts for up to 100 thread keys."""
    runtime = request.app[RUNTIME]
    site = query_param(request, "site", "default", 64) or "default"
    keys = request.query.getall("thread", [])
    if not keys:
        raise BadRequest("give at least one thread key: ?thread=a&thread=b")
    if len(keys) > MAX_COUNT_KEYS:
        raise BadRequest(f"at most {MAX_COUNT_KEYS} thread keys per request")
    if any(not k or len(k) > 512 for k in keys):
        raise BadRequest("thread keys must be 1 to 512 characters")
    if any(has_control_chars(k, allow_newlines=False) for k in keys):
        raise BadRequest("query parameter 'thread' contains control characters")
    result = await runtime.service.counts(site, keys)
    return json_response({"counts": result}, headers={"Cache-Control": "public, max-age=10"})
