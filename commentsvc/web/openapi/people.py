"""Readers' data rights: the "My comments" link and page, and the admin's export and erase."""

from __future__ import annotations

from typing import Any

from commentsvc.web.openapi.core import (
    HTML_PAGE,
    INT,
    OPERATIONS,
    SCHEMAS,
    STR,
    accepted,
    bad_link_response,
    describe,
    email_field,
    json_body,
    problems,
    ref,
    site_field,
)

NULL_STR = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
THREAD = {
    "type": "object",
    "properties": {"site": STR, "key": STR, "title": STR, "url": STR},
}
PERSON_DATA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "email", "exported_at", "comments", "subscriptions", "emails"],
    "properties": {
        "format": {"const": "commentsvc.person/1"},
        "email": STR,
        "exported_at": TIME,
        "comments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": STR,
                    "site": STR,
                    "thread": THREAD,
                    "parent_id": NULL_STR,
                    "kind": {"enum": ["comment", "feedback"]},
                    "anchor": {"oneOf": [ref("Anchor"), {"type": "null"}]},
                    "author_name": STR,
                    "author_email": NULL_STR,
                    "body": STR,
                    "body_html": STR,
                    "status": STR,
                    "held_because": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"rule": STR, "message": STR},
                        },
                    },
                    "created_at": TIME,
                    "edited_at": NULL_TIME,
                    "votes": {"type": "object", "properties": {"up": INT, "down": INT}},
                    "ip_hash": NULL_STR,
                    "user_agent": STR,
                    "replies": {
                        "type": "array",
                        "description": "Public replies by others (never their addresses)",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": STR,
                                "parent_id": NULL_STR,
                                "author_name": STR,
                                "body_html": STR,
                                "created_at": TIME,
                            },
                        },
                    },
                },
            },
        },
        "subscriptions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": INT,
                    "site": STR,
                    "thread": THREAD,
                    "kind": {"enum": ["thread", "replies"]},
                    "confirmed_at": NULL_TIME,
                    "created_at": TIME,
                    "lang": {"type": ["string", "null"]},
                },
            },
        },
        "emails": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "template": STR,
                    "status": STR,
                    "comment_id": NULL_STR,
                    "created_at": TIME,
                    "sent_at": NULL_TIME,
                },
            },
        },
        "suppression": {
            "type": ["object", "null"],
            "properties": {"reason": STR, "since": TIME},
        },
        "error_reports": {
            "type": "array",
            "description": "Reports of an error in an article left with this address (issue 16)",
            "items": {
                "type": "object",
                "properties": {
                    "id": INT,
                    "site": STR,
                    "thread": {"type": "object"},
                    "passage": {"type": "object"},
                    "note": STR,
                    "status": STR,
                    "public_note": STR,
                    "lang": STR,
                    "email_confirmed_at": NULL_TIME,
                    "created_at": TIME,
                },
            },
        },
    },
}
ERASED: dict[str, Any] = {
    "type": "object",
    "required": ["erased"],
    "properties": {
        "erased": {
            "type": "object",
            "properties": dict.fromkeys(
                (
                    "comments_deleted",
                    "comments_anonymised",
                    "subscriptions",
                    "emails",
                    "suppressions",
                ),
                INT,
            ),
        }
    },
}
EMAIL_BODY = {
    "type": "object",
    "required": ["email"],
    "properties": {"email": email_field(required=True)},
}


def people_operations() -> None:
    """POST /api/v1/mine, the /m/{token} page and download, and the admin routes."""
    SCHEMAS["PersonData"] = PERSON_DATA
    html = HTML_PAGE
    bad_link = bad_link_response("Forged, altered, expired or erased link")
    describe(
        "POST",
        "/api/v1/mine",
        'Email a signed link to everything held under an address ("My comments"). The answer '
        "is the same whether or not anything is held; only an address with comments or "
        "subscriptions, not suppressed and under its daily limit gets the email.",
        tag="public",
        body={
            "type": "object",
            "required": ["email"],
            "properties": {"site": site_field(), "email": email_field(required=True)},
        },
        responses={
            "202": accepted(),
            **problems(400, 403, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "GET",
        "/m/{token}",
        "The reader's page: every comment under the address with its status (and, while "
        "held, why), replies to them, subscriptions; download and erase",
        tag="people",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "POST",
        "/m/{token}",
        "From the page: end one subscription (action=unsubscribe&subscription=ID) or erase "
        "everything under the address (action=erase&confirm=yes)",
        tag="people",
        responses={
            "200": html,
            "404": bad_link,
            "422": {"description": "Erase not confirmed: the page again", **html},
            **problems(400),
        },
    )
    OPERATIONS[("POST", "/m/{token}")]["requestBody"] = {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["action", "subscription"],
                            "properties": {
                                "action": {"const": "unsubscribe"},
                                "subscription": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                            },
                        },
                        {
                            "type": "object",
                            "required": ["action"],
                            "properties": {
                                "action": {"const": "erase"},
                                "confirm": {"enum": ["yes"]},
                            },
                        },
                    ]
                }
            }
        },
    }
    describe(
        "GET",
        "/m/{token}/data.json",
        "Everything tied to the address, as a JSON file (Content-Disposition: attachment)",
        tag="people",
        responses={
            "200": json_body(ref("PersonData")),
            "404": {"description": bad_link["description"], **problems(404)["404"]},
        },
    )
    admin: list[dict[str, list[str]]] = [{"session": []}, {"apiToken": []}]
    describe(
        "POST",
        "/api/v1/moderation/people/export",
        "Everything held under an address, as the reader's own download (admins of all sites)",
        tag="moderation",
        security=admin,
        body=EMAIL_BODY,
        responses={
            "200": json_body(ref("PersonData")),
            **problems(400, 401, 403, 413, 415, 422, 503),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/people/erase",
        "Erase an address everywhere: comments deleted or anonymised as each site's "
        "`erase_comments` policy says, subscriptions, email records and suppression deleted "
        "(admins of all sites)",
        tag="moderation",
        security=admin,
        body=EMAIL_BODY,
        responses={"200": json_body(ERASED), **problems(400, 401, 403, 413, 415, 422, 503)},
    )
