"""Subscriptions and the confirm / unsubscribe links."""

from __future__ import annotations

from commentsvc.validation import MAX_KEY_CHARS
from commentsvc.web.openapi.core import (
    HTML_PAGE,
    OPERATIONS,
    accepted,
    bad_link_response,
    choice,
    describe,
    email_field,
    lang_field,
    one_click_form,
    problems,
    site_field,
    text_field,
)


def subscription_operations() -> None:
    """Subscribing (double opt-in) and the pages emailed links open."""
    html = HTML_PAGE
    bad_link = bad_link_response()
    describe(
        "POST",
        "/api/v1/subscriptions",
        "Ask for email about new comments or replies; a confirmation email follows. "
        "The answer is the same whether or not the address is subscribed or blocked.",
        tag="public",
        body={
            "type": "object",
            "required": ["thread", "email"],
            "properties": {
                "site": site_field(),
                "thread": text_field(MAX_KEY_CHARS, required=True),
                "email": email_field(required=True),
                "kind": {**choice("thread", "replies"), "default": "thread"},
                "lang": lang_field(),
            },
        },
        responses={
            "202": accepted(),
            **problems(400, 403, 404, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "GET",
        "/s/{token}",
        "Confirm page (changes nothing; its button POSTs to the same URL)",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "POST",
        "/s/{token}",
        "Confirm the subscription",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "GET",
        "/u/{token}",
        "Unsubscribe page, with the option to stop all email to the address",
        tag="subscriptions",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "POST",
        "/u/{token}",
        "Unsubscribe (RFC 8058 one-click: body List-Unsubscribe=One-Click; scope=all stops "
        "all email to the address). No cookie, CSRF token or JavaScript needed.",
        tag="subscriptions",
        responses={"200": html, "404": bad_link, **problems(400)},
    )
    OPERATIONS[("POST", "/u/{token}")]["requestBody"] = one_click_form("subscription", "all")
