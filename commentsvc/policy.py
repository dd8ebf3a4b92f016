"""A site's moderation and notification policy: a frozen, validated dataclass.

Stored as JSON on the site row; every field has a default so an empty policy
is a sensible one. `Policy.from_json` lists every broken field at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, get_args

from commentsvc import schedule
from commentsvc.validation import is_plain_int, json_int

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
