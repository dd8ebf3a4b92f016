"""A site's moderation and notification policy: a frozen, validated dataclass.

Stored as JSON on the site row; every field has a default so an empty policy
is a sensible one. `Policy.from_json` lists every broken field at once.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Literal, get_args

from commentsvc import schedule
from commentsvc.models import Site
from commentsvc.validation import is_plain_int, json_int

log = logging.getLogger(__name__)

Mode = Literal["auto", "premoderate"]
ProfanityAction = Literal["censor", "hold", "reject"]
BanAction = Literal["spam", "reject"]
# What erasing a reader's data does to their comments (commentsvc/rights/erase.py).
EraseComments = Literal["delete", "anonymise"]


class PolicyError(ValueError):
    """A policy document broke one or more field rules."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Policy:
    """Every knob of DESIGN.md §5 and §6, per site."""

    mode: Mode = "auto"
    profanity: ProfanityAction = "censor"
    words_add: tuple[str, ...] = ()
    words_allow: tuple[str, ...] = ()
    ordinary_words_pass: bool = True
    moderation_keys: tuple[str, ...] = ()
    disallowed_keys: tuple[str, ...] = ()
    max_links: int = 2
    hold_first_time: bool = False
    all_caps_min_letters: int = 20
    flood_window_s: int = 60
    flood_max: int = 5
    duplicate_window_s: int = 86_400
    duplicate_min_chars: int = 30
    ban_action: BanAction = "spam"
    toxicity_threshold: float | None = None
    learn_from_moderators: bool = True
    flag_threshold: int = 3
    edit_window_s: int = 900
    max_body_chars: int = 10_000
    require_name: bool = False
    require_email: bool = False
    notify_author_on_approval: bool = True
    digest_window_s: int = 900
    erase_comments: EraseComments = "delete"
    # Desk rules (issue 14, commentsvc/schedule.py): hold every comment received inside one
    # of these local-time windows; close threads this many days after their first comment
    # (or the article's date); both in the site's own time zone.
    timezone: str = "UTC"
    hold_schedule: tuple[str, ...] = ()
    auto_close_days: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Policy:
        """Build a policy from stored or submitted JSON, validating every field."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise PolicyError([("policy", "must be an object")])
        errors: list[tuple[str, str]] = []
        values: dict[str, Any] = {}
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key, raw in data.items():
            f = known.get(key)
            if f is None:
                errors.append((key, "unknown policy field"))
                continue
            try:
                values[key] = _coerce(key, raw)
            except ValueError as exc:
                errors.append((key, str(exc)))
        if errors:
            raise PolicyError(errors)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    def replace(self, **changes: Any) -> Policy:
        merged = self.to_json()
        merged.update(changes)
        return Policy.from_json(merged)


# Each field's label and help text, as the policy editor on /moderate and the OpenAPI
# description show them. A field missing here still appears, under its name.
FIELD_HELP: dict[str, tuple[str, str]] = {
    "mode": (
        "Moderation mode",
        "auto publishes comments no rule objects to; premoderate holds every comment.",
    ),
    "profanity": (
        "Profanity",
        "What a listed word does: censor masks it and publishes, hold sends the comment "
        "to review, reject rejects it.",
    ),
    "words_add": ("Extra words", "Words treated as profanity besides the list; one a line."),
    "words_allow": ("Allowed words", "Words on the list this site lets through; one a line."),
    "ordinary_words_pass": (
        "Ordinary news words pass",
        "Listed words that are ordinary in news (murder, Nazi) are not profanity.",
    ),
    "moderation_keys": (
        "Moderation keys",
        "A comment holding one (in name, email, text or a link, even inside a word) waits "
        "for review; one a line.",
    ),
    "disallowed_keys": (
        "Disallowed keys",
        "Like moderation keys, but the comment is marked spam; one a line.",
    ),
    "max_links": ("Link limit", "This many links or more: the comment waits (0: no limit)."),
    "hold_first_time": (
        "Hold first-time authors",
        "Hold comments by authors with no approved comment yet.",
    ),
    "all_caps_min_letters": (
        "Shouting: letters",
        "A comment with at least this many letters, 90% upper-case, waits for review.",
    ),
    "flood_window_s": ("Flood window (s)", "Seconds in which one address's comments count."),
    "flood_max": (
        "Flood limit",
        "Comments from one address in the flood window before the next one waits.",
    ),
    "duplicate_window_s": (
        "Duplicate window (s)",
        "The same text again on this site within this many seconds is spam (0: off).",
    ),
    "duplicate_min_chars": (
        "Duplicate: characters",
        "Only texts at least this long count as duplicates.",
    ),
    "ban_action": (
        "Banned authors",
        "What a comment from a banned email, address, domain or name becomes.",
    ),
    "toxicity_threshold": (
        "Toxicity threshold",
        "Hold comments the toxicity model scores at or above this (0 to 1); empty: off.",
    ),
    "flag_threshold": (
        "Reader reports",
        "Distinct reports that send an approved comment back to review.",
    ),
    "edit_window_s": (
        "Author edit window (s)",
        "Seconds in which authors may edit or delete their own comment.",
    ),
    "max_body_chars": ("Longest comment", "The most characters a comment may have."),
    "require_name": ("Name required", "Readers must give a name."),
    "require_email": ("Email required", "Readers must give an email address."),
    "notify_author_on_approval": (
        "Tell authors on approval",
        "Email authors when a moderator approves their held comment.",
    ),
    "digest_window_s": (
        "Digest window (s)",
        "At most one email per reader and thread in this many seconds; then a digest.",
    ),
    "erase_comments": (
        "Erasing a reader",
        "What erasing a reader's data does to their comments: delete, or anonymise.",
    ),
    "timezone": (
        "Time zone",
        "For desk hours and auto-close: an IANA name such as Europe/London.",
    ),
    "hold_schedule": (
        "Desk hours off",
        "Hold every comment received in these local windows (mon-fri 18:00-08:00); one a line.",
    ),
    "auto_close_days": (
        "Auto-close after (days)",
        "Close a thread this many days after its first comment (0: never).",
    ),
}


def field_help(name: str) -> tuple[str, str]:
    """A field's label and help text; without an entry, its name and no help."""
    return FIELD_HELP.get(name, (name.replace("_", " ").capitalize(), ""))


_CHOICES: dict[str, tuple[str, ...]] = {
    "mode": get_args(Mode),
    "profanity": get_args(ProfanityAction),
    "ban_action": get_args(BanAction),
    "erase_comments": get_args(EraseComments),
}
_LISTS = {"words_add", "words_allow", "moderation_keys", "disallowed_keys"}
_BOOLS = {
    "hold_first_time",
    "require_name",
    "require_email",
    "notify_author_on_approval",
    "ordinary_words_pass",
    "learn_from_moderators",
}
_INT_RANGES: dict[str, tuple[int, int]] = {
    "max_links": (0, 1000),
    "all_caps_min_letters": (1, 100_000),
    "flood_window_s": (1, 86_400),
    "flood_max": (1, 100_000),
    "duplicate_window_s": (0, 30 * 86_400),
    "duplicate_min_chars": (1, 100_000),
    "flag_threshold": (1, 1000),
    "edit_window_s": (0, 7 * 86_400),
    "max_body_chars": (1, 10_000),
    "digest_window_s": (0, 7 * 86_400),
    "auto_close_days": (0, 3650),
}
_MAX_LIST_ITEMS = 5000
_MAX_ITEM_CHARS = 200


def _coerce(key: str, raw: Any) -> Any:
    if key in _CHOICES:
        if raw not in _CHOICES[key]:
            raise ValueError("must be one of " + ", ".join(_CHOICES[key]))
        return raw
    if key in _LISTS:
        if isinstance(raw, str):
            raw = raw.splitlines()
        if not isinstance(raw, list | tuple):
            raise ValueError("must be a list of strings")
        items = []
        for item in raw:
            if not isinstance(item, str):
                raise ValueError("must be a list of strings")
            item = item.strip()
            if len(item) > _MAX_ITEM_CHARS:
                raise ValueError(f"items must be at most {_MAX_ITEM_CHARS} characters")
            if item:
                items.append(item)
        if len(items) > _MAX_LIST_ITEMS:
            raise ValueError(f"at most {_MAX_LIST_ITEMS} items")
        return tuple(dict.fromkeys(items))
    if key in _BOOLS:
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
        raise ValueError("must be true or false")
    if key in _INT_RANGES:
        lo, hi = _INT_RANGES[key]
        if isinstance(raw, str) and is_plain_int(raw.strip().removeprefix("-")):
            raw = int(raw)
        number = json_int(raw)  # 5.0 is 5 in JSON
        if number is None:
            raise ValueError("must be an integer")
        if not lo <= number <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return number
    if key == "timezone":
        if not isinstance(raw, str) or raw not in schedule.time_zones():
            raise ValueError("must be an IANA time zone name such as Europe/London")
        return raw
    if key == "hold_schedule":
        if not isinstance(raw, list | tuple) or len(raw) > schedule.MAX_WINDOWS:
            raise ValueError(f"must be a list of at most {schedule.MAX_WINDOWS} windows")
        for item in raw:
            schedule.parse_window(item)
        return tuple(dict.fromkeys(raw))
    if key == "toxicity_threshold":
        if raw is None or raw in ("", "none", "off"):
            return None
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError("must be a number between 0 and 1, or null") from None
        if isinstance(raw, bool) or not 0.0 <= value <= 1.0:
            raise ValueError("must be a number between 0 and 1, or null")
        return value
    raise ValueError("unknown policy field")  # pragma: no cover - guarded by caller


def policy_fields() -> list[str]:
    """Names of every policy field, in declaration order."""
    return [f.name for f in dataclasses.fields(Policy)]


DEFAULT_POLICY = Policy()


def policy_of(site: Site | None) -> Policy:
    """A site's stored policy; the defaults for no site, or (logged) for a stored policy
    this release can't read, so one bad row never stops a service or a worker."""
    if site is None:
        return Policy()
    try:
        return Policy.from_json(site.policy)
    except PolicyError as exc:
        log.error("site %s has an invalid stored policy (%s); using defaults", site.id, exc)
        return Policy()
