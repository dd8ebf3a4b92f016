"""API tokens: what a new one looks like, how long it lives, what a label may hold.

A token is `cmod_` plus 32 random bytes, shown once; only its keyed hash
(HMAC-SHA256 under the secret key) is stored. A token may expire
(`--expires-in 30d`) and may be revoked; either way the row stays, so
`moderator token list --all` can still show it, and it answers 401.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from commentsvc.errors import FieldError, Invalid
from commentsvc.validation import Fields

API_TOKEN_PREFIX = "cmod_"  # noqa: S105 - a label, not a secret
MAX_LABEL_CHARS = 100
MAX_EXPIRES_IN = timedelta(days=3660)  # ten years: past that, say "never" by leaving it out

_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = 7 * _UNITS["d"]
_DURATION = re.compile(r"([0-9]{1,7})([mhdw])")


def parse_expires_in(text: str) -> timedelta:
    """`90m`, `12h`, `30d` or `2w` as a timedelta; Invalid (422) for anything else."""
    found = _DURATION.fullmatch(text.strip().lower())
    lifetime = int(found.group(1)) * _UNITS[found.group(2)] if found else None
    if lifetime is None or not timedelta(0) < lifetime <= MAX_EXPIRES_IN:
        raise Invalid(
            "bad token lifetime",
            errors=[
                FieldError(
                    "expires_in",
                    "must be a number and a unit (m, h, d or w), e.g. 12h or 30d, "
                    f"up to {MAX_EXPIRES_IN.days}d",
                )
            ],
        )
    return lifetime


def clean_label(label: str) -> str:
    """A token's label: one line, at most MAX_LABEL_CHARS; Invalid otherwise."""
    f = Fields({"label": label})
    value = f.text("label", max_chars=MAX_LABEL_CHARS)
    if "\t" in value:  # `token list` separates its columns with tabs
        f.fail("label", "must not contain tabs")
    f.done()
    return value


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: the secret (shown this once), its id and when it expires."""

    secret: str
    id: int
    expires_at: datetime | None
