"""Desk routes (issue 14): featuring, staff replies and a site's webhook endpoints."""

from __future__ import annotations

from typing import Any

from commentsvc.validation import MAX_BODY_CHARS, MAX_NAME_CHARS
from commentsvc.web.openapi.core import (
    INT,
    SCHEMAS,
    STR,
    WHITESPACE,
    describe,
    json_body,
    problems,
    ref,
    text_field,
)
from commentsvc.web.openapi.moderation import SITE_PATH
from commentsvc.webhooks import events as ev
from commentsvc.webhooks import signing
from commentsvc.webhooks.guard import API_URL_PATTERN

DATE_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
WEBHOOK_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "A webhook endpoint's id (an integer); anything else is no endpoint (404)",
}
SIGNING = (
    f"Each delivery is a POST of JSON, signed: `{signing.TIMESTAMP_HEADER}` (Unix seconds) and "
    f"`{signing.SIGNATURE_HEADER}: v1=HEX`, HEX being HMAC-SHA256 with the endpoint's secret "
    "over the timestamp, a full stop and the raw body. Refuse a timestamp more than 5 minutes "
    f"off. `{signing.EVENT_HEADER}` names the event, `{signing.DELIVERY_HEADER}` the event's id "
    "(the same on a retry: use it to drop repeats)."
)


def _url(required: bool) -> dict[str, Any]:
    ws = f"[{WHITESPACE}]"
    url = f"(?:{API_URL_PATTERN})" if required else f"(?:{API_URL_PATTERN})?"
    return {
        "type": "string" if required else ["string", "null"],
        "pattern": f"^{ws}*{url}{ws}*$",
        "description": "An http or https URL with a host name or IPv4 address, a port "
        "from 1 to 65535 if any, no user name or password (422 otherwise)"
        + ("" if required else "; blank or null leaves it as it is")
        + ". Its host must resolve to public addresses unless allow_private; that is "
        "checked on every delivery (a refusal is the delivery's last_error)",
    }


def desk_operations() -> None:
    auth: list[dict[str, list[str]]] = [{"session": []}, {"apiToken": []}]
    events = {"type": "array", "items": {"enum": list(ev.EVENT_TYPES)}, "minItems": 1}
    SCHEMAS.update(
        {
            "WebhookEndpoint": {
                "type": "object",
                "required": [
                    "id",
                    "site",
                    "url",
                    "events",
                    "format",
                    "allow_private",
                    "enabled",
                    "failures",
                    "disabled_at",
                    "disabled_reason",
                    "created_at",
                ],
                "properties": {
                    "id": INT,
                    "site": STR,
                    "url": STR,
                    "events": {"type": "array", "items": {"enum": list(ev.EVENT_TYPES)}},
                    "format": {"enum": list(ev.FORMATS)},
                    "allow_private": {"type": "boolean"},
                    "enabled": {"type": "boolean"},
                    "failures": {**INT, "description": "Requests failed in a row"},
                    "disabled_at": DATE_OR_NULL,
                    "disabled_reason": STR,
                    "created_at": {"type": "string", "format": "date-time"},
                },
                "description": SIGNING,
            },
            "WebhookDelivery": {
                "type": "object",
                "required": [
                    "id",
                    "event",
                    "event_id",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "response_status",
                    "sent_at",
                    "created_at",
                ],
                "properties": {
                    "id": INT,
                    "event": {"enum": list(ev.EVENT_TYPES)},
                    "event_id": STR,
                    "status": {"enum": ["queued", "sent", "failed"]},
                    "attempts": INT,
                    "next_attempt_at": DATE_OR_NULL,
                    "last_error": {"type": ["string", "null"]},
                    "response_status": {"type": ["integer", "null"]},
                    "sent_at": DATE_OR_NULL,
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
        }
    )
    tag = "moderation"
    describe(
        "POST",
        "/api/v1/moderation/comments/{id}/feature",
        "Feature a comment (or stop): the thread's Featured strip shows it while it is "
        "approved, above the thread and still in place in it",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["featured"],
            "properties": {"featured": {"type": "boolean"}},
        },
        responses={
            "200": json_body(ref("ModComment")),
            **problems(400, 401, 403, 404, 409, 413, 415, 422),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/comments/{id}/replies",
        "Reply as staff: approved at once (never moderated), shown with a Staff badge; "
        "readers see it once its parent is public",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["body"],
            "properties": {
                "body": text_field(MAX_BODY_CHARS, min_chars=1, required=True, multiline=True),
                "author_name": text_field(
                    MAX_NAME_CHARS, description="Blank or left out: the site's name"
                ),
            },
        },
        responses={
            "201": json_body(ref("Comment"), "Posted and approved"),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )
    tag = "webhooks"
    endpoint_params = [SITE_PATH, WEBHOOK_ID]
    list_of = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("WebhookEndpoint")}},
    }
    describe(
        "GET",
        "/api/v1/sites/{site}/webhooks",
        "A site's webhook endpoints (admins)",
        tag=tag,
        security=auth,
        params=[SITE_PATH],
        responses={"200": json_body(list_of), **problems(401, 403, 404)},
    )
    describe(
        "POST",
        "/api/v1/sites/{site}/webhooks",
        "Add a webhook endpoint (admins). The answer holds its signing secret, shown once; "
        f"409 when the site has {ev.MAX_ENDPOINTS_PER_SITE} already",
        tag=tag,
        security=auth,
        params=[SITE_PATH],
        body={
            "type": "object",
            "required": ["url", "events"],
            "properties": {
                "url": _url(True),
                "events": events,
                "format": {
                    "enum": [*ev.FORMATS, None],
                    "default": "json",
                    "description": "json, or slack: incoming-webhook JSON with a text",
                },
                "allow_private": {"type": ["boolean", "null"], "default": False},
            },
        },
        responses={
            "201": json_body(
                {
                    "allOf": [
                        ref("WebhookEndpoint"),
                        {"required": ["secret"], "properties": {"secret": STR}},
                    ]
                },
                "Added",
            ),
            **problems(400, 401, 403, 404, 409, 413, 415, 422),
        },
    )
    describe(
        "PATCH",
        "/api/v1/sites/{site}/webhooks/{id}",
        "Change an endpoint (admins); enabled: true enables a disabled one again, its "
        "waiting deliveries go out and its failures count from nought",
        tag=tag,
        security=auth,
        params=endpoint_params,
        body={
            "type": "object",
            "properties": {
                "url": _url(False),
                "events": {"anyOf": [events, {"type": "null"}]},
                "format": {"enum": [*ev.FORMATS, None]},
                "allow_private": {"type": ["boolean", "null"]},
                "enabled": {"type": ["boolean", "null"]},
            },
        },
        responses={
            "200": json_body(ref("WebhookEndpoint")),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )
    describe(
        "DELETE",
        "/api/v1/sites/{site}/webhooks/{id}",
        "Remove an endpoint and its deliveries (admins)",
        tag=tag,
        security=auth,
        params=endpoint_params,
        responses={"204": {"description": "Removed"}, **problems(401, 403, 404)},
    )
    describe(
        "GET",
        "/api/v1/sites/{site}/webhooks/{id}/deliveries",
        "An endpoint's latest 50 deliveries, newest first (admins)",
        tag=tag,
        security=auth,
        params=endpoint_params,
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": ref("WebhookDelivery")}},
                }
            ),
            **problems(401, 403, 404),
        },
    )
