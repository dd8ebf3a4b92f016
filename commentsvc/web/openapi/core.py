"""Building blocks of the OpenAPI description: the registry, helpers, shared schemas.

Over 400 lines because it is data: the shared schemas (Comment, Policy's parts,
problems) are written out whole for the description to be read as OpenAPI; the
logic here is a few small helpers.
"""

from __future__ import annotations

from typing import Any

from commentsvc.models import PUBLIC_STATUSES, Status
from commentsvc.validation import (
    MAX_BODY_CHARS,
    MAX_CONTEXT_CHARS,
    MAX_KEY_CHARS,
    MAX_NAME_CHARS,
    MAX_QUOTE_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
)

JSON = "application/json"
PROBLEM = "application/problem+json"

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description or "OK", "content": {JSON: {"schema": schema}}}


def problems(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": _PROBLEM_TEXT.get(s, "Error"),
            "content": {PROBLEM: {"schema": ref("Problem")}},
        }
        for s in statuses
    }


_PROBLEM_TEXT = {
    400: "Malformed JSON or query parameter",
    401: "No or bad credentials",
    403: "Not allowed",
    404: "Unknown id, or not visible to this caller",
    409: "Conflict (duplicate, closed thread, edit after replies, stale decision)",
    413: "Body larger than the limit",
    415: "Not JSON",
    422: "A field breaks its rules; every broken field is listed",
    429: "Rate limited; see Retry-After",
    503: "A dependency is down; see Retry-After",
}


def describe(
    method: str,
    path: str,
    summary: str,
    *,
    tag: str,
    responses: dict[str, Any],
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> None:
    """Register one operation of the description."""
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    given = {(p["name"], p["in"]) for p in params or []}
    path_params = [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]
    all_params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in path_params
        if (p, "path") not in given
    ] + (params or [])
    if all_params:
        op["parameters"] = all_params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if security is not None:
        op["security"] = security
    OPERATIONS[(method.upper(), path)] = op


def query(
    name: str, schema: dict[str, Any], description: str = "", required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


STR = {"type": "string"}
INT = {"type": "integer"}
EDIT_TOKEN: list[dict[str, list[str]]] = [{"editToken": []}]

# ----- what `validation.Fields` accepts, as JSON Schema -------------------------------------
#
# The patterns below are ECMA-262 and Python regexes alike (character classes with \x / \u
# escapes only), so clients, schemathesis and the service read them the same way.

WHITESPACE = r"\t-\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Exactly what Python's str.isspace() (and so str.strip()) calls whitespace."""
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
CONTROLS_MULTILINE = _CONTROLS
"""What `has_control_chars(allow_newlines=True)` refuses: controls but tab, CR and LF."""
CONTROLS_ONE_LINE = _CONTROLS + r"\n\r\u202a-\u202e\u2066-\u2069"
"""What `has_control_chars(allow_newlines=False)` refuses: line breaks and direction
controls too."""
LONGEST_EXACT = 5000
"""Longer length limits go in a pattern of their own: one bounded class that long is too
large for some regex engines."""


def _core(controls: str, min_chars: int, max_chars: int) -> str:
    """A trimmed, non-empty value: no refused character, min..max characters."""
    ok, edge = f"[^{controls}]", f"[^{controls}{WHITESPACE}]"
    lo = max(min_chars, 1)
    if max_chars == 1:
        return edge
    inner = f"{ok}*" if max_chars > LONGEST_EXACT else f"{ok}{{{max(lo - 2, 0)},{max_chars - 2}}}"
    return f"{edge}(?:{inner}{edge})" + ("?" if lo <= 1 else "")


def text_field(
    max_chars: int,
    *,
    min_chars: int = 0,
    required: bool = False,
    multiline: bool = False,
    strip: bool = True,
    description: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """The schema of a string read with `Fields.text` and the same arguments.

    Optional fields also take null or a blank value (both mean "left out"); a stripped
    field may carry whitespace around its value, which the limits don't count.
    """
    controls = CONTROLS_MULTILINE if multiline else CONTROLS_ONE_LINE
    ws = f"[{WHITESPACE}]"
    schema: dict[str, Any] = {"type": "string" if required else ["string", "null"]}
    if strip:
        core = _core(controls, min_chars, max_chars)
        schema["pattern"] = f"^{ws}*{core}{ws}*$" if required else f"^{ws}*(?:{core})?{ws}*$"
        if max_chars > LONGEST_EXACT:  # the length in a second, simpler pattern
            trimmed = f"[^{WHITESPACE}](?:[\\s\\S]{{0,{max_chars - 2}}}[^{WHITESPACE}])?"
            length = f"^{ws}*{trimmed}{ws}*$" if required else f"^{ws}*(?:{trimmed})?{ws}*$"
            schema["allOf"] = [{"pattern": length}]
    elif required:
        schema.update(minLength=max(min_chars, 1), maxLength=max_chars)
        schema["pattern"] = f"^[^{controls}]*[^{controls}{WHITESPACE}][^{controls}]*$"
    else:
        schema["pattern"] = f"^(?:{ws}*|[^{controls}]{{{min_chars},{max_chars}}})$"
    if description:
        schema["description"] = description
    return {**schema, **extra}


def query_text(max_chars: int, *, required: bool = False) -> dict[str, Any]:
    """A query parameter read with `query_param`: as sent, one line, at most max_chars."""
    schema: dict[str, Any] = {
        "type": "string",
        "maxLength": max_chars,
        "pattern": f"^[^{CONTROLS_ONE_LINE}]*$",
    }
    if required:
        schema["minLength"] = 1
    return schema


HTML_PAGE = {"description": "HTML page", "content": {"text/html": {"schema": STR}}}


def bad_link_response(what: str = "Forged, altered or expired link") -> dict[str, Any]:
    """The 404 of a page an emailed link opens: a page for browsers, problem+json else."""
    return {
        "description": f"{what} (an HTML page for browsers); nothing changes",
        "content": {PROBLEM: {"schema": ref("Problem")}, "text/html": {"schema": STR}},
    }


def one_click_form(*scopes: str) -> dict[str, Any]:
    """The optional form a link page's buttons (and RFC 8058 one-click) POST."""
    return {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "List-Unsubscribe": {"enum": ["One-Click"]},
                        "scope": {"enum": list(scopes)},
                    },
                }
            }
        },
    }


def accepted() -> dict[str, Any]:
    """The 202 of a request whose answer never says what is known (same body always)."""
    return json_body(
        {
            "type": "object",
            "required": ["status", "detail"],
            "properties": {"status": {"enum": ["accepted"]}, "detail": STR},
        },
        "Accepted",
    )


def lang_field() -> dict[str, Any]:
    """A language tag read with `Fields.lang_tag`: blank or null for none."""
    ws = f"[{WHITESPACE}]"
    tag = r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}"
    return {
        "type": ["string", "null"],
        "pattern": f"^{ws}*(?:{tag})?{ws}*$",
        "description": "The reader's language (de, pt-BR, …) for the emails this leads to; "
        "a language not shipped, or none, means the site's default",
    }


def choice(*values: str, required: bool = False) -> dict[str, Any]:
    """A field read with `Fields.choice`: one of `values`, or (optional) null for the default."""
    return {"enum": [*values] if required else [*values, None]}


SITE_ID = r"[a-z0-9][a-z0-9_-]{0,63}"
"""A site id (validation._SITE)."""


def site_field() -> dict[str, Any]:
    """The `site` of a body (`Fields.site`): a site id; null or blank means "default"."""
    ws = f"[{WHITESPACE}]"
    return {
        "type": ["string", "null"],
        "pattern": f"^{ws}*(?:{SITE_ID})?{ws}*$",
        "default": "default",
        "description": "A site's id; one that doesn't exist is refused (422)",
    }


def url_field() -> dict[str, Any]:
    """A URL read with `Fields.url`: http or https, at most 2048 characters."""
    ws = f"[{WHITESPACE}]"
    rest = f'[^{WHITESPACE}{CONTROLS_ONE_LINE}<>"]'
    # validation._URL ignores case, and Python folds the long s (U+017F) to "s"
    url = (
        f"[hH][tT][tT][pP](?:://{rest}{{1,{MAX_URL_CHARS - 7}}}"
        f"|[sS\\u017f]://{rest}{{1,{MAX_URL_CHARS - 8}}})"
    )
    return {
        "type": ["string", "null"],
        "pattern": f"^{ws}*(?:{url})?{ws}*$",
        "description": "An http or https URL",
    }


def _email_pattern() -> str:
    local_char = (
        f"[^@{WHITESPACE}{CONTROLS_ONE_LINE}" + r"<>()\[\],;:\"\\="
    )  # validation._EMAIL, less "=" (kept apart: "=?" is refused)
    after_equals = local_char + "?]"
    label = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    local = f"(?:(?:{local_char}]|=+{after_equals})+=*|=+)"
    return f"{local}@{label}(?:\\.{label})+"


def email_field(*, required: bool = False) -> dict[str, Any]:
    """An address read with `Fields.email`: at most 254 characters, no "=?"."""
    ws = f"[{WHITESPACE}]"
    email = _email_pattern()
    return {
        "type": "string" if required else ["string", "null"],
        "pattern": f"^{ws}*{email}{ws}*$" if required else f"^{ws}*(?:{email})?{ws}*$",
        "maxLength": 254,
        "description": "An email address (at most 254 characters)",
    }


ALL_STATUSES = [s.value for s in Status]
PUBLIC_STATUS_VALUES = sorted(s.value for s in PUBLIC_STATUSES)


def comment_schema(
    statuses: list[str], *, replies: str, description: str = "", **properties: Any
) -> dict[str, Any]:
    """A comment as `views` builds it, with the statuses this view can show and more fields.

    Each view is spelled out whole (no allOf), so a view's `status` is not intersected
    with the public one's.
    """
    schema: dict[str, Any] = {
        "type": "object",
        "required": [
            "id",
            "parent_id",
            "kind",
            "anchor",
            "author_name",
            "avatar",
            "body_html",
            "status",
            "created_at",
            "edited_at",
            "votes",
            "replies",
            "featured",
            "staff",
        ],
        "properties": {
            "id": STR,
            "parent_id": {"type": ["string", "null"]},
            "kind": {"enum": ["comment", "feedback"]},
            "anchor": {"anyOf": [ref("Anchor"), {"type": "null"}]},
            "author_name": STR,
            "avatar": {
                "type": ["object", "null"],
                "required": ["initials", "hue"],
                "properties": {"initials": STR, "hue": {**INT, "minimum": 0, "maximum": 359}},
            },
            "body_html": STR,
            "status": {"enum": statuses},
            "created_at": {"type": "string", "format": "date-time"},
            "edited_at": {"type": ["string", "null"], "format": "date-time"},
            "votes": {
                "type": "object",
                "required": ["up", "down"],
                "properties": {"up": INT, "down": INT},
            },
            "replies": {"type": "array", "items": ref(replies)},
            "featured": {
                "type": "boolean",
                "description": "Featured by a moderator: also in the thread's Featured strip",
            },
            "staff": {
                "type": "boolean",
                "description": "A staff reply, posted from /moderate (the widget's Staff badge)",
            },
            **properties,
        },
    }
    if description:
        schema["description"] = description
    return schema


REASONS_FOR_AUTHOR = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["rule", "message"],
        "properties": {"rule": STR, "message": STR},
    },
}
NULL_MEANS_LEFT_OUT = "Optional fields may also be null or blank: both mean left out."

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": STR,
            "title": STR,
            "status": INT,
            "detail": STR,
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": STR, "message": STR},
                },
            },
        },
    },
    "Anchor": {
        "type": "object",
        "required": ["quote", "prefix", "suffix", "block"],
        "properties": {"quote": STR, "prefix": STR, "suffix": STR, "block": STR},
    },
    "Comment": comment_schema(
        PUBLIC_STATUS_VALUES,
        replies="Comment",
        description="A public comment: approved, or the placeholder of a deleted one with replies",
    ),
    "AuthorComment": comment_schema(
        ALL_STATUSES,
        replies="Comment",
        description=(
            "A comment as its author sees it with the edit token: any status, "
            "the body as written (unless deleted), and while pending why it waits."
        ),
        body=STR,
        waiting_because=REASONS_FOR_AUTHOR,
    ),
    "NewAnchor": {
        "type": ["object", "null"],
        "description": "Makes the comment inline feedback on a passage: a quote or a block id",
        "properties": {
            "quote": text_field(MAX_QUOTE_CHARS, multiline=True),
            "prefix": text_field(MAX_CONTEXT_CHARS, multiline=True, strip=False),
            "suffix": text_field(MAX_CONTEXT_CHARS, multiline=True, strip=False),
            "block": text_field(MAX_CONTEXT_CHARS),
        },
        "anyOf": [
            {
                "required": ["quote"],
                "properties": {"quote": text_field(MAX_QUOTE_CHARS, required=True, multiline=True)},
            },
            {
                "required": ["block"],
                "properties": {"block": text_field(MAX_CONTEXT_CHARS, required=True)},
            },
        ],
    },
    "NewComment": {
        "type": "object",
        "description": NULL_MEANS_LEFT_OUT,
        "required": ["thread", "body"],
        "properties": {
            "site": site_field(),
            "thread": text_field(MAX_KEY_CHARS, required=True, description="The article's key"),
            "thread_url": url_field(),
            "thread_title": text_field(MAX_TITLE_CHARS),
            "parent_id": {"type": ["string", "null"], "maxLength": 64, "description": "A reply to"},
            "body": text_field(
                MAX_BODY_CHARS,
                min_chars=1,
                required=True,
                multiline=True,
                description="The site's policy may allow fewer characters (422)",
            ),
            "author_name": {
                **text_field(MAX_NAME_CHARS, description="Blank or left out: Guest"),
                "default": "Guest",
            },
            "author_email": email_field(),
            "notify": {**choice("none", "replies", "thread"), "default": "none"},
            "lang": lang_field(),
            "anchor": ref("NewAnchor"),
            "thread_published": {
                "type": ["string", "null"],
                "maxLength": 64,
                "description": "The article's date (YYYY-MM-DD, or RFC 3339): auto-close "
                "counts from it. The first readable one is kept; an unreadable or "
                "implausible date is ignored, not refused",
            },
            "website": {"description": "Honeypot: leave it out or empty (anything else is spam)"},
        },
        "if": {"required": ["notify"], "properties": {"notify": {"enum": ["replies", "thread"]}}},
        "then": {
            "required": ["author_email"],
            "properties": {"author_email": email_field(required=True)},
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["id", "status", "edit_token", "edit_until", "comment"],
        "properties": {
            "id": STR,
            "status": {"enum": ["received"]},
            "edit_token": STR,
            "edit_until": {"type": "string", "format": "date-time"},
            "comment": {
                "allOf": [
                    ref("AuthorComment"),
                    {"properties": {"status": {"enum": ["received"]}}},
                ]
            },
        },
    },
    "ThreadPage": {
        "type": "object",
        "required": ["thread", "featured", "comments", "next_cursor"],
        "properties": {
            "thread": {
                "type": "object",
                "required": ["key", "title", "url", "closed", "count", "feedback_count"],
                "properties": {
                    "key": STR,
                    "title": STR,
                    "url": STR,
                    "closed": {"type": "boolean"},
                    "count": INT,
                    "feedback_count": INT,
                },
            },
            "featured": {
                "type": "array",
                "items": ref("Comment"),
                "maxItems": 10,
                "description": "The Featured strip: approved featured comments, newest "
                "featured first, without their replies (each is also in place in the thread)",
            },
            "comments": {"type": "array", "items": ref("Comment")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
}
