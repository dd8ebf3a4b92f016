"""Moderator routes: sign-in, the review queue, decisions, bans, policy, stats.

Why it is long (about 850 lines): this is data, not logic. Each operation and schema
is spelled out whole, as OpenAPI wants it, and the moderation API has the most
routes (queue, decisions, bans, tokens, policy, replay, stats). Splitting it by tag
would only scatter one route's schema from its operation; every block stands alone.
"""

from __future__ import annotations

from typing import Any

from commentsvc import schedule
from commentsvc.auth.passwords import MAX_PASSWORD_CHARS
from commentsvc.policy import (
    _BOOLS,
    _CHOICES,
    _INT_RANGES,
    _LISTS,
    _MAX_ITEM_CHARS,
    field_help,
    policy_fields,
)
from commentsvc.review.bans import BAN_KINDS
from commentsvc.review.decisions import ACTIONS
from commentsvc.review.modviews import MOD_ACTIONS
from commentsvc.review.replay import CHANGES, DEFAULT_DAYS, MAX_COMMENTS, MAX_DAYS
from commentsvc.store.review import QUEUE_STATUSES
from commentsvc.validation import MAX_BODY_CHARS, MAX_EMAIL_CHARS, MAX_KEY_CHARS, MAX_SITE_CHARS
from commentsvc.web.handlers.moderation import MAX_BULK_IDS, MAX_NOTE_CHARS, MAX_QUERY_CHARS
from commentsvc.web.openapi.core import (
    ALL_STATUSES,
    CONTROLS_ONE_LINE,
    INT,
    SCHEMAS,
    SITE_ID,
    STR,
    WHITESPACE,
    choice,
    comment_schema,
    describe,
    json_body,
    problems,
    query,
    query_text,
    ref,
    site_field,
    text_field,
)

# ----- the policy document: what policy._coerce accepts for each field --------------------

NUMBER_WHITESPACE = WHITESPACE.replace(r"\x1c-\x1f", "")
"""What int() and float() strip: str.isspace() less the separators \x1c-\x1f."""
LINE_BREAKS = r"\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029"
"""Where str.splitlines() breaks."""
LINE_PADDING = r"\t\x1f \xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
"""The whitespace str.strip() takes off a line that is not a line break."""


def _fixed_width(lo: str, hi: str) -> list[str]:
    """Patterns for the digit strings of one width from lo to hi (leading zeros kept)."""
    if not lo:
        return [""]
    if lo[0] == hi[0]:
        return [lo[0] + p for p in _fixed_width(lo[1:], hi[1:])]
    rest = len(lo) - 1
    if lo[1:] == "0" * rest and hi[1:] == "9" * rest:
        return [f"[{lo[0]}-{hi[0]}]" + "[0-9]" * rest]
    out = [lo[0] + p for p in _fixed_width(lo[1:], "9" * rest)]
    if int(lo[0]) + 1 <= int(hi[0]) - 1:
        out.append(f"[{int(lo[0]) + 1}-{int(hi[0]) - 1}]" + "[0-9]" * rest)
    return out + [hi[0] + p for p in _fixed_width("0" * rest, hi[1:])]


def int_string_pattern(lo: int, hi: int) -> str:
    """A string int() reads as a number from lo to hi (0 <= lo): padding, zeros, "-0"."""
    pieces = []
    for width in range(len(str(lo)), len(str(hi)) + 1):
        low = max(lo, 10 ** (width - 1) if width > 1 else 0)
        high = min(hi, 10**width - 1)
        pieces += _fixed_width(str(low), str(high))
    ws = f"[{NUMBER_WHITESPACE}]"
    zero = "|-0+" if lo == 0 else ""
    return f"^{ws}*(?:0*(?:{'|'.join(pieces)}){zero}){ws}*$"


def _policy_field(name: str, request: bool) -> dict[str, Any]:
    if name in _CHOICES:
        return {"enum": list(_CHOICES[name])}
    if name in _LISTS:
        items = {"type": "array", "items": STR}
        if not request:
            return items
        ws, edge = f"[{WHITESPACE}]", f"[^{WHITESPACE}]"
        item = f"{edge}(?:[\\s\\S]{{0,{_MAX_ITEM_CHARS - 2}}}{edge})?"
        pad = f"[{LINE_PADDING}]"
        line = f"{pad}*(?:{edge}(?:[^{LINE_BREAKS}]{{0,{_MAX_ITEM_CHARS - 2}}}{edge})?)?{pad}*"
        return {
            "anyOf": [
                {
                    **items,
                    "items": {"type": "string", "pattern": f"^{ws}*(?:{item})?{ws}*$"},
                },
                {
                    "type": "string",
                    "pattern": f"^(?:{line}(?:\\r\\n|[{LINE_BREAKS}]))*{line}$",
                },
            ],
            "description": f"A list, or a string with one item a line; items are trimmed, "
            f"at most {_MAX_ITEM_CHARS} characters, blank ones dropped",
        }
    if name in _BOOLS:
        return {"enum": [True, False, "true", "false"]} if request else {"type": "boolean"}
    if name in _INT_RANGES:
        lo, hi = _INT_RANGES[name]
        number = {"type": "integer", "minimum": lo, "maximum": hi}
        if not request:
            return number
        return {"anyOf": [number, {"type": "string", "pattern": int_string_pattern(lo, hi)}]}
    if name == "timezone":
        return {"enum": sorted(schedule.time_zones())} if request else STR
    if name == "hold_schedule":
        window = {"type": "string", "pattern": schedule.WINDOW_PATTERN}
        return {
            "type": "array",
            "items": window if request else STR,
            **({"maxItems": schedule.MAX_WINDOWS} if request else {}),
            "description": 'Local-time windows that hold every comment: "mon-fri 18:00-08:00" '
            '(an end at or before the start runs past midnight), "sat,sun 00:00-24:00", '
            '"daily 22:00-06:00"',
        }
    if name == "toxicity_threshold":
        number = {"type": "number", "minimum": 0, "maximum": 1}
        if not request:
            return {"anyOf": [number, {"type": "null"}]}
        ws = f"[{NUMBER_WHITESPACE}]"
        decimal = r"\+?(?:0+(?:\.[0-9]*)?|\.[0-9]+|0*1(?:\.0*)?)|-(?:0+(?:\.0*)?|\.0+)"
        return {
            "anyOf": [
                number,
                {"enum": [None, "", "none", "off"]},
                {"type": "string", "pattern": f"^{ws}*(?:{decimal}){ws}*$"},
            ],
            "description": "0..1, or null (or empty, none, off) for no toxicity model",
        }
    raise ValueError(f"no schema for policy field {name!r}")  # a new kind of field


def _documented(name: str, request: bool) -> dict[str, Any]:
    """A field's schema with its label (`title`) and help (`description`) from policy.py."""
    schema = _policy_field(name, request)
    label, help_text = field_help(name)
    form = schema.get("description")
    described = " ".join(t for t in (help_text, f"({form})" if form else "") if t)
    return {**schema, "title": label, **({"description": described} if described else {})}


def policy_schemas() -> dict[str, Any]:
    """Policy (every field, as the service answers) and NewPolicy (what PUT accepts).

    Each property carries the field's label as `title` and its help as `description`:
    the policy editor on /moderate builds its form from these.
    """
    return {
        "Policy": {
            "type": "object",
            "required": policy_fields(),
            "properties": {name: _documented(name, False) for name in policy_fields()},
        },
        "NewPolicy": {
            "type": "object",
            "description": "Fields left out take their defaults; an unknown field is refused",
            "additionalProperties": False,
            "properties": {name: _documented(name, True) for name in policy_fields()},
        },
    }


def replay_schemas() -> dict[str, Any]:
    """What POST /api/v1/sites/{site}/policy/replay takes and answers."""
    reason = {
        "type": "object",
        "required": ["rule", "detail", "action"],
        "properties": {"rule": STR, "detail": STR, "action": STR},
    }
    highlight = {
        "type": "object",
        "required": ["start", "end", "rule", "detail"],
        "properties": {"start": INT, "end": INT, "rule": STR, "detail": STR},
    }
    status = {"enum": [s for s in ALL_STATUSES if s != "deleted"]}
    change = {"enum": list(CHANGES)}
    count = {"type": "integer", "minimum": 0}
    return {
        "PolicyReplayRequest": {
            "type": "object",
            "required": ["policy"],
            "properties": {
                "policy": ref("NewPolicy"),
                "days": {
                    "anyOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                        {"type": "null"},
                    ],
                    "default": DEFAULT_DAYS,
                    "description": f"how many days back (1 to {MAX_DAYS}; null: {DEFAULT_DAYS})",
                },
            },
        },
        "PolicyReplay": {
            "type": "object",
            "description": "What the proposed policy would change, against the saved one, on "
            f"the site's comments of the last `days` days (not deleted; the newest "
            f"{MAX_COMMENTS} when there are more: `truncated`). hold: would newly wait for "
            "review; release: would newly be approved; reject: would newly be spam or "
            "rejected; other: spam and rejected swapped. Nothing is saved or changed.",
            "required": [
                "site",
                "days",
                "since",
                "until",
                "comments",
                "truncated",
                "changed",
                "counts",
                "by_rule",
                "moves",
                "examples",
                "elapsed_ms",
            ],
            "properties": {
                "site": STR,
                "days": INT,
                "since": {"type": "string", "format": "date-time"},
                "until": {"type": "string", "format": "date-time"},
                "comments": count,
                "truncated": {"type": "boolean"},
                "changed": count,
                "counts": {
                    "type": "object",
                    "required": list(CHANGES),
                    "properties": dict.fromkeys(CHANGES, count),
                },
                "by_rule": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["change", "rule", "count"],
                        "properties": {"change": change, "rule": STR, "count": count},
                    },
                },
                "moves": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["from", "to", "count"],
                        "properties": {"from": status, "to": status, "count": count},
                    },
                },
                "examples": {
                    "type": "array",
                    "description": "A few comments for each change, with the reasons that "
                    "would fire (for a release: those that no longer would)",
                    "items": {
                        "type": "object",
                        "required": [
                            "change",
                            "rules",
                            "id",
                            "author_name",
                            "created_at",
                            "thread",
                            "status",
                            "was",
                            "would_be",
                            "body",
                            "reasons",
                            "highlights",
                        ],
                        "properties": {
                            "change": change,
                            "rules": {"type": "array", "items": STR},
                            "id": STR,
                            "author_name": STR,
                            "created_at": {"type": "string", "format": "date-time"},
                            "thread": {
                                "type": "object",
                                "required": ["key", "title", "url"],
                                "properties": {"key": STR, "title": STR, "url": STR},
                            },
                            "status": status,
                            "was": status,
                            "would_be": status,
                            "body": STR,
                            "reasons": {"type": "array", "items": reason},
                            "highlights": {"type": "array", "items": highlight},
                        },
                    },
                },
                "elapsed_ms": {"type": "number", "minimum": 0},
            },
        },
    }


def ban_body() -> dict[str, Any]:
    """POST /api/v1/moderation/bans, with what `Bans.stored_value` takes for each kind."""
    ws = f"[{WHITESPACE}]"
    label = "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    domain = f"{label}(?:\\.[a-zA-Z0-9-]{{1,63}})+"
    value_of = {
        "email": {"pattern": f"^{ws}*[^{CONTROLS_ONE_LINE}]+@{domain}{ws}*$"},
        "ip": {
            "anyOf": [
                {"format": "ipv4"},
                {"format": "ipv6"},
                {"pattern": "^[0-9a-fA-F]{32}$", "description": "an ip_hash"},
            ]
        },
        "domain": {"pattern": f"^{ws}*@?(?:\\*\\.)?{domain}\\.*{ws}*$"},
        "name": text_field(64, required=True),
    }
    return {
        "type": "object",
        "required": ["kind", "value"],
        "properties": {
            "site": site_field(),
            "kind": choice(*BAN_KINDS, required=True),
            "value": text_field(
                254,
                required=True,
                description="email: an address; ip: an IP address or an ip_hash; "
                "domain: a domain name (also @domain or *.domain); name: 1 to 64 characters",
            ),
            "reason": text_field(500),
            "expires_at": {
                "anyOf": [{"type": "string", "format": "date-time"}, {"enum": ["", None]}],
                "description": "RFC 3339 with a zone, in the future and before the year "
                "9000; left out, null or empty: for good",
            },
            "purge": {"type": "boolean", "default": False},
        },
        "allOf": [
            {
                "if": {"required": ["kind"], "properties": {"kind": {"const": kind}}},
                "then": {"properties": {"value": rule}},
            }
            for kind, rule in value_of.items()
        ],
    }


SITE_PATH = {
    "name": "site",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{SITE_ID}$"},
    "description": "A site id; anything else names no site (404)",
}


def moderation_operations() -> None:
    """Sign-in, the moderation API, site policy and the /moderate page."""
    auth: list[dict[str, list[str]]] = [{"session": []}, {"apiToken": []}]
    nullable_str = {"type": ["string", "null"]}
    SCHEMAS.update(policy_schemas())
    SCHEMAS.update(replay_schemas())
    SCHEMAS.update(
        {
            "ModComment": comment_schema(
                ALL_STATUSES,
                replies="Comment",
                description=(
                    "A Comment plus what a moderator needs. `highlights` mark where each "
                    "reason matched in `body` ([start, end) in Unicode code points)."
                ),
                site=STR,
                version=INT,
                actions={
                    "type": "array",
                    "items": {"enum": [a.value for a in MOD_ACTIONS]},
                    "description": (
                        "What a moderator may do to this comment now, from the lifecycle "
                        "table: the decisions it allows (POST …/decision) and `edit`. "
                        "A client shows these and asks again after a decision rather "
                        "than predicting the new status."
                    ),
                },
                author_email=nullable_str,
                ip_hash=nullable_str,
                user_agent=STR,
                thread={
                    "type": "object",
                    "required": ["key", "title", "url"],
                    "properties": {"key": STR, "title": STR, "url": STR},
                },
                reasons={
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["rule", "detail", "action"],
                        "properties": {"rule": STR, "detail": STR, "action": STR},
                    },
                },
                highlights={
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["start", "end", "rule", "detail"],
                        "properties": {"start": INT, "end": INT, "rule": STR, "detail": STR},
                    },
                },
                score={"type": ["number", "null"]},
                flags={
                    "type": "object",
                    "required": ["count", "unreviewed", "reasons", "notes"],
                    "properties": {
                        "count": INT,
                        "unreviewed": INT,
                        "reasons": {"type": "object", "additionalProperties": INT},
                        "notes": {"type": "array", "items": STR},
                    },
                },
                body=STR,
                decided_by=nullable_str,
                decided_at={"type": ["string", "null"], "format": "date-time"},
                note=STR,
                author_history={"type": "object", "additionalProperties": INT},
            ),
            "Ban": {
                "type": "object",
                "properties": {
                    "id": INT,
                    "site": STR,
                    "kind": {"enum": ["email", "ip", "domain", "name"]},
                    "value": STR,
                    "reason": STR,
                    "expires_at": {"type": ["string", "null"], "format": "date-time"},
                    "created_by": STR,
                    "created_at": {"type": "string", "format": "date-time"},
                    "active": {"type": "boolean"},
                },
            },
            "Moderator": {
                "type": "object",
                "properties": {
                    "email": STR,
                    "role": {"enum": ["moderator", "admin"]},
                    "sites": {"type": "array", "items": STR},
                    "all_sites": {"type": "boolean"},
                },
            },
        }
    )
    action = choice(*ACTIONS, required=True)
    note = text_field(MAX_NOTE_CHARS, multiline=True)
    version = {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "the version you saw; a different one gets 409",
    }
    site_q = query("site", query_text(MAX_SITE_CHARS), "site id (default: default)")
    limit_q = query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50})
    mod_comment = json_body(ref("ModComment"))

    tag = "auth"
    session_body = {
        "type": "object",
        "properties": {
            "csrf_token": nullable_str,
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "moderator": ref("Moderator"),
        },
    }
    describe(
        "POST",
        "/api/v1/auth/login",
        "Sign a moderator in: sets the session cookie, returns the CSRF token",
        tag=tag,
        security=[],
        body={
            "type": "object",
            "required": ["email", "password"],
            "properties": {
                "email": text_field(MAX_EMAIL_CHARS, required=True),
                "password": {"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD_CHARS},
            },
        },
        responses={
            "200": json_body(session_body, "Signed in; Set-Cookie commentsvc_session"),
            **problems(400, 401, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "POST",
        "/api/v1/auth/logout",
        "End the session (cookie sessions send X-CSRF-Token)",
        tag=tag,
        security=[{}, {"session": []}],
        responses={"204": {"description": "Signed out"}, **problems(403)},
    )
    describe(
        "GET",
        "/api/v1/auth/session",
        "Who is signed in, and this session's CSRF token (for a reloaded page)",
        tag=tag,
        security=auth,
        responses={"200": json_body(session_body), **problems(401)},
    )

    tag = "moderation"
    describe(
        "GET",
        "/api/v1/moderation/comments",
        "The review queue: comments by status (pending oldest first), searched, paged",
        tag=tag,
        security=auth,
        params=[
            site_q,
            query(
                "status",
                {"enum": [*QUEUE_STATUSES, ""], "default": "pending"},
                "`flagged`: approved or pending comments with reader reports not yet reviewed; "
                "empty: pending",
            ),
            query("thread", query_text(MAX_KEY_CHARS), "only this thread (its key)"),
            query(
                "q",
                query_text(MAX_QUERY_CHARS),
                "search body, author name and email (or an exact id / ip_hash)",
            ),
            limit_q,
            query("cursor", query_text(256), "from the previous page's next_cursor"),
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": ref("ModComment")},
                        "next_cursor": nullable_str,
                    },
                }
            ),
            **problems(400, 401, 403, 404),
        },
    )
    describe(
        "GET",
        "/api/v1/moderation/comments/{id}",
        "One comment as a moderator sees it",
        tag=tag,
        security=auth,
        responses={"200": mod_comment, **problems(401, 403, 404)},
    )
    describe(
        "PATCH",
        "/api/v1/moderation/comments/{id}",
        "Edit a comment's body as a moderator (audited with the previous text)",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["body"],
            "properties": {
                "body": text_field(MAX_BODY_CHARS, min_chars=1, required=True, multiline=True),
                "note": note,
                "version": version,
            },
        },
        responses={"200": mod_comment, **problems(400, 401, 403, 404, 409, 413, 415, 422)},
    )
    describe(
        "POST",
        "/api/v1/moderation/comments/{id}/decision",
        "Decide on one comment. approve: received|pending|spam|rejected → approved; "
        "reject, spam: → rejected, spam; delete: any → deleted; "
        "restore: deleted|rejected|spam → pending",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["action"],
            "properties": {"action": action, "note": note, "version": version},
        },
        responses={"200": mod_comment, **problems(400, 401, 403, 404, 409, 413, 415, 422)},
    )
    describe(
        "GET",
        "/api/v1/moderation/comments/{id}/events",
        "The comment's audit trail, oldest first",
        tag=tag,
        security=auth,
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "events": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": INT,
                                    "actor": STR,
                                    "action": STR,
                                    "from_status": nullable_str,
                                    "to_status": nullable_str,
                                    "note": STR,
                                    "at": {"type": "string", "format": "date-time"},
                                },
                            },
                        }
                    },
                }
            ),
            **problems(401, 403, 404),
        },
    )
    describe(
        "GET",
        "/api/v1/moderation/comments/{id}/thread",
        "The comment in its thread: its parents (top first) and every reply below it "
        "(depth first), as moderators see them; `truncated` past 500 comments in the tree",
        tag=tag,
        security=auth,
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["thread", "ancestors", "comment", "replies", "truncated"],
                    "properties": {
                        "thread": {
                            "type": "object",
                            "required": ["key", "title", "url"],
                            "properties": {"key": STR, "title": STR, "url": STR},
                        },
                        "ancestors": {"type": "array", "items": ref("ModComment")},
                        "comment": ref("ModComment"),
                        "replies": {"type": "array", "items": ref("ModComment")},
                        "truncated": {"type": "boolean"},
                    },
                }
            ),
            **problems(401, 403, 404),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/decisions",
        "One decision on many comments; each id reports `ok` or a problem (403 as a whole "
        "when any comment is on a site you don't moderate)",
        tag=tag,
        security=auth,
        body={
            "type": "object",
            "required": ["ids", "action"],
            "properties": {
                "ids": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 64},
                    "minItems": 1,
                    "maxItems": MAX_BULK_IDS,
                },
                "action": action,
                "note": note,
                "versions": {
                    "type": ["object", "null"],
                    "additionalProperties": {"type": "integer", "minimum": 0},
                    "description": "id → the version you saw; a comment changed since gets "
                    "a 409 problem instead of being decided; only ids in `ids` (else 422)",
                },
            },
        },
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "results": {
                            "type": "object",
                            "additionalProperties": {
                                "oneOf": [{"const": "ok"}, ref("Problem")],
                            },
                        }
                    },
                }
            ),
            **problems(400, 401, 403, 413, 415, 422),
        },
    )
    describe(
        "GET",
        "/api/v1/moderation/bans",
        "A site's bans in force",
        tag=tag,
        security=auth,
        params=[
            site_q,
            query(
                "expired",
                query_text(5),
                "1 or true: include expired bans (anything else: only those in force)",
            ),
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref("Ban")}},
                }
            ),
            **problems(400, 401, 403, 404),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/bans",
        "Ban an email, address (a raw IP or an ip_hash), domain or name; `purge` also "
        "rejects the author's pending and approved comments (in the background past 100)",
        tag=tag,
        security=auth,
        body=ban_body(),
        responses={
            "201": json_body(
                {
                    "type": "object",
                    "properties": {
                        "ban": ref("Ban"),
                        "purge": {
                            "type": ["object", "null"],
                            "properties": {
                                "status": {"enum": ["done", "running"]},
                                "rejected": {"type": ["integer", "null"]},
                            },
                        },
                    },
                },
                "Banned",
            ),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )
    describe(
        "DELETE",
        "/api/v1/moderation/bans/{id}",
        "Lift a ban",
        tag=tag,
        security=auth,
        responses={"204": {"description": "Lifted"}, **problems(401, 403, 404)},
    )
    describe(
        "GET",
        "/api/v1/moderation/stats",
        "Counts per status, the oldest pending comment's age, decisions of the last 24 h",
        tag=tag,
        security=auth,
        params=[site_q],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "properties": {
                        "site": STR,
                        "counts": {"type": "object", "additionalProperties": INT},
                        "oldest_pending_at": {"type": ["string", "null"], "format": "date-time"},
                        "oldest_pending_age_s": {"type": ["number", "null"]},
                        "decisions_24h": {
                            "type": "object",
                            "properties": {
                                "total": INT,
                                "by_rule": {"type": "object", "additionalProperties": INT},
                                "by_status": {"type": "object", "additionalProperties": INT},
                                "by_moderator": {"type": "object", "additionalProperties": INT},
                            },
                        },
                    },
                }
            ),
            **problems(400, 401, 403, 404),
        },
    )
    describe(
        "GET",
        "/api/v1/sites/{site}/policy",
        "A site's whole policy, every field with its value (admins)",
        tag=tag,
        security=auth,
        params=[SITE_PATH],
        responses={"200": json_body(ref("Policy")), **problems(401, 403, 404)},
    )
    for method, summary in (
        ("PUT", "Replace a site's policy; fields left out take their defaults (admins)"),
        (
            "PATCH",
            "Set the fields sent and keep every other field as stored (admins); the result "
            "is validated as a whole, as PUT validates it",
        ),
    ):
        describe(
            method,
            "/api/v1/sites/{site}/policy",
            summary,
            tag=tag,
            security=auth,
            params=[SITE_PATH],
            body=ref("NewPolicy"),
            responses={
                "200": json_body(ref("Policy")),
                **problems(400, 401, 403, 404, 413, 415, 422),
            },
        )

    describe(
        "POST",
        "/api/v1/sites/{site}/policy/replay",
        "What if: judge the site's recent comments again under a proposed policy, through "
        "the worker's own stages, and report what would change against the saved policy "
        "(admins). Nothing is saved; no comment changes. A policy field that breaks a rule "
        "is a 422 naming `policy.<field>`",
        tag=tag,
        security=auth,
        params=[SITE_PATH],
        body=ref("PolicyReplayRequest"),
        responses={
            "200": json_body(ref("PolicyReplay")),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )

    tag = "pages"
    describe(
        "GET",
        "/moderate",
        "The moderation page (keyboard-driven queue)",
        tag=tag,
        responses={"200": {"description": "HTML page", "content": {"text/html": {"schema": STR}}}},
    )
    describe(
        "GET",
        "/moderate/moderate.js",
        "The moderation page's script",
        tag=tag,
        responses={
            "200": {"description": "Script", "content": {"text/javascript": {"schema": STR}}}
        },
    )
    describe(
        "GET",
        "/moderate/moderate.css",
        "The moderation page's style sheet",
        tag=tag,
        responses={"200": {"description": "Style sheet", "content": {"text/css": {"schema": STR}}}},
    )
