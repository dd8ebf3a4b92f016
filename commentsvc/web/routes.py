"""Every route the service answers, in one table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from commentsvc.web.auth_middleware import moderation_context
from commentsvc.web.handlers import (
    auth,
    corrections,
    desk,
    live,
    mine,
    moderation,
    ops,
    pages,
    people,
    public,
    subscriptions,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# (method, path, handler): the OpenAPI description must list exactly these.
ROUTES: list[tuple[str, str, Handler]] = [
    # public API
    ("POST", "/api/v1/comments", public.post_comment),
    ("GET", "/api/v1/comments", public.get_thread),
    ("GET", "/api/v1/comments/{id}", public.get_comment),
    ("PATCH", "/api/v1/comments/{id}", public.edit_comment),
    ("DELETE", "/api/v1/comments/{id}", public.delete_comment),
    ("POST", "/api/v1/comments/{id}/votes", public.vote),
    ("POST", "/api/v1/comments/{id}/flags", public.flag),
    ("GET", "/api/v1/counts", public.counts),
    ("GET", "/api/v1/stream", live.stream),
    # subscriptions, and the pages their emailed links open
    ("POST", "/api/v1/subscriptions", subscriptions.subscribe),
    ("GET", "/s/{token}", subscriptions.confirm_page),
    ("POST", "/s/{token}", subscriptions.confirm),
    ("GET", "/u/{token}", subscriptions.unsubscribe_page),
    ("POST", "/u/{token}", subscriptions.unsubscribe),
    # a reader's own data ("My comments"): the link, and the page it opens
    ("POST", "/api/v1/mine", mine.request_link),
    ("GET", "/m/{token}", mine.page),
    ("POST", "/m/{token}", mine.act),
    ("GET", "/m/{token}/data.json", mine.download),
    # widget and pages
    ("GET", "/embed.js", pages.embed_js),
    ("GET", "/embed.{hash}.js", pages.embed_js_hashed),
    ("GET", "/i18n/{site}/{lang:[A-Za-z0-9_-]{1,35}}.json", pages.i18n_pointer),
    ("GET", "/i18n/{site}/{lang:[a-z]{2,3}}.{hash:[0-9a-f]{1,64}}.json", pages.i18n_file),
    ("GET", "/demo", pages.demo),
    ("GET", "/moderate", moderation.page),
    ("GET", "/moderate/moderate.js", moderation.page_script),
    ("GET", "/moderate/moderate.css", moderation.page_style),
    # moderators: sign-in, then the moderation API (all behind `moderator_only`)
    ("POST", "/api/v1/auth/login", auth.login),
    ("POST", "/api/v1/auth/logout", auth.logout),
    ("GET", "/api/v1/auth/session", auth.session),
    ("GET", "/api/v1/moderation/comments", moderation.list_comments),
    ("GET", "/api/v1/moderation/comments/{id}", moderation.get_comment),
    ("PATCH", "/api/v1/moderation/comments/{id}", moderation.edit_comment),
    ("POST", "/api/v1/moderation/comments/{id}/decision", moderation.decide),
    ("GET", "/api/v1/moderation/comments/{id}/events", moderation.comment_events),
    ("GET", "/api/v1/moderation/comments/{id}/thread", moderation.comment_thread),
    ("POST", "/api/v1/moderation/decisions", moderation.decide_many),
    ("GET", "/api/v1/moderation/bans", moderation.list_bans),
    ("POST", "/api/v1/moderation/bans", moderation.add_ban),
    ("DELETE", "/api/v1/moderation/bans/{id}", moderation.remove_ban),
    ("GET", "/api/v1/moderation/stats", moderation.stats),
    ("POST", "/api/v1/moderation/people/export", people.export_person),
    ("POST", "/api/v1/moderation/people/erase", people.erase_person),
    ("GET", "/api/v1/sites/{site}/policy", moderation.get_policy),
    ("PUT", "/api/v1/sites/{site}/policy", moderation.put_policy),
    ("PATCH", "/api/v1/sites/{site}/policy", moderation.patch_policy),
    ("POST", "/api/v1/sites/{site}/policy/replay", moderation.replay_policy),
    *desk.ROUTES,  # issue 14: featuring, staff replies, webhook endpoints
    *corrections.ROUTES,  # issue 16: the corrections desk
    # operations
    ("GET", "/healthz", ops.healthz),
    ("GET", "/readyz", ops.readyz),
    ("GET", "/metrics", ops.metrics),
    ("GET", "/api/openapi.json", ops.openapi),
]


def setup_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(moderation_context)  # moderators' accounts and decisions
    app.cleanup_ctx.append(mine.people_context)  # readers' data rights
    app.cleanup_ctx.append(corrections.corrections_context)  # issue 16
    for method, path, handler in ROUTES:
        if method == "GET":
            app.router.add_get(path, handler)  # answers HEAD too
        else:
            app.router.add_route(method, path, handler)
