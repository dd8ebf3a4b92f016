"""What erasing an address does to each of its comments, by the site's `erase_comments` policy.

Both modes remove the address, the address hash, the user agent and the edit
token from every comment, and give it the name "a reader":

- `delete`: the comment becomes deleted with no text left (body, rendered body,
  fingerprint, anchor, moderation details); a deleted comment with replies
  shows as the usual placeholder, so replies by others stay where they were.
- `anonymise`: the comment keeps its status and text, with any copy of the
  address in it (or in its moderation reasons and audit notes) replaced, and
  an import's note without the author's website and the source's metadata.

Each change is an ordinary transition with an `erase` audit event that names
who asked, never what was erased.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from commentsvc.comments.lifecycle import Act, step
from commentsvc.comments.posting import body_fingerprint
from commentsvc.models import Comment
from commentsvc.policy import EraseComments
from commentsvc.store.records import Transition

ANONYMOUS_NAME = "a reader"
REDACTED = "[address erased]"
ACTION = "erase"
# What a deleted comment's moderation record keeps: who decided and how, not why in detail.
KEPT_WHEN_DELETED = ("action", "score", "decided_by", "decided_at", "decision", "edited_at")

Redact = Callable[[str], str]


def redactor(email: str) -> Redact:
    """Replace every copy of the address (any case) in a text."""
    pattern = re.compile(re.escape(email.strip()), re.IGNORECASE)
    return lambda text: pattern.sub(REDACTED, text) if text else text


def _redact_json(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v, redact) for k, v in value.items()}
    return value


def _moderation_when_deleted(moderation: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: moderation[k] for k in KEPT_WHEN_DELETED if k in moderation}
    kept["reasons"] = [
        {"rule": str(r.get("rule", "")), "detail": "", "action": r.get("action", "hold")}
        for r in moderation.get("reasons", [])
        if isinstance(r, dict) and r.get("rule")
    ]
    return kept


def erase_transition(
    comment: Comment, mode: EraseComments, actor: str, redact: Redact
) -> Transition:
    """The compare-and-set change that erases the author from `comment`."""
    changes: dict[str, Any] = {
        "author_name": ANONYMOUS_NAME,
        "author_email": None,
        "ip_hash": None,
        "user_agent": "",
        "edit_token_hash": "",
    }
    if mode == "delete":
        act = Act.ERASE
        changes.update(
            body="",
            body_html="",
            body_hash="",
            anchor=None,
            moderation=_moderation_when_deleted(comment.moderation),
        )
    else:
        act = Act.ANONYMISE
        body = redact(comment.body)
        changes.update(
            body=body,
            body_hash=body_fingerprint(body),
            body_html=redact(comment.body_html),
            moderation=_redact_json(comment.moderation, redact),
        )
    # Erasing a comment someone moved meanwhile must not undo their move: from its status only.
    move = step(act).transition(
        comment.id, comment.status, actor, changes=changes, expected_version=comment.version
    )
    return dataclasses.replace(move, from_statuses=frozenset({comment.status}))


def plan(
    modes: Mapping[str, EraseComments], actor: str, redact: Redact
) -> Callable[[Sequence[Comment]], list[Transition]]:
    """The erasure of a list of comments, each by its own site's mode (`delete` if unknown)."""

    def transitions(found: Sequence[Comment]) -> list[Transition]:
        return [erase_transition(c, modes.get(c.site_id, "delete"), actor, redact) for c in found]

    return transitions


def note_scrubber(
    modes: Mapping[str, EraseComments], redact: Redact
) -> Callable[[Comment, str], str]:
    """Audit notes on an erased comment: emptied when it is deleted, else the address redacted
    (a moderator's edit keeps the previous text there)."""

    def scrub(comment: Comment, note: str) -> str:
        if modes.get(comment.site_id, "delete") == "delete":
            return ""
        return redact(_without_author(note))

    return scrub


# What an import's audit note keeps of the source that tells who wrote it: their website,
# and the source's own metadata (wpDiscuz, Akismet and the like name the author there).
IMPORT_NOTE_AUTHOR_KEYS = ("author_url", "meta")


def _without_author(note: str) -> str:
    """An import note (a JSON object) without the keys that identify the author."""
    if not note.startswith("{") or not any(f'"{k}"' in note for k in IMPORT_NOTE_AUTHOR_KEYS):
        return note
    try:
        data = json.loads(note)
    except ValueError:
        return note
    if not isinstance(data, dict):
        return note
    for key in IMPORT_NOTE_AUTHOR_KEYS:
        data.pop(key, None)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
