"""Look-alike letters from Unicode's own data, not a hand-kept table.

Two sources, both read once:

- UTS #39 confusables (the `confusable-homoglyphs` package ships Unicode's
  confusables.txt as JSON): every letter that Unicode says is confusable with
  one ASCII letter or digit, e.g. Cyrillic "а", "Н", Greek lunate sigma "Ϲ",
  Armenian "Ս", Cherokee "Ᏼ", Lisu "ꓐ".
- Unicode character names, for letters that confusables.txt leaves out because
  they are "the same letter" drawn another way: small capitals ("ᴀ", "LATIN
  LETTER SMALL CAPITAL A"), regional indicators ("🇦"), negative circled and
  squared letters ("🅐", "🅰"), parenthesized letters ("⒜").

`latin_lookalike(ch)` gives the lower-case ASCII letter a character passes
for, and whether it is a letter of another script (Greek, Cyrillic, ...), read
as Latin only inside Latin text, or a Latin form or symbol, read as Latin
everywhere.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import unicodedata

_NAME_RE = re.compile(
    r"^(?:(?:NEGATIVE |)(?:CIRCLED|SQUARED|PARENTHESIZED) LATIN (?:CAPITAL |SMALL )?LETTER "
    r"|REGIONAL INDICATOR SYMBOL LETTER "
    r"|LATIN LETTER SMALL CAPITAL "
    r"|MODIFIER LETTER (?:CAPITAL |SMALL )"
    r"|LATIN (?:CAPITAL |SMALL )LETTER )([A-Z])$"
)
# Hand supplements where UTS #39 says nothing but a reader sees a Latin letter
# (Cyrillic lower case drawn like small capitals or italics).
_SUPPLEMENT = {
    "п": "n", "н": "h", "к": "k", "м": "m", "т": "t", "в": "b", "ь": "b", "ѵ": "v",
    "и": "u", "ц": "u", "я": "r", "ш": "w", "щ": "w", "γ": "y", "η": "n", "κ": "k",
    "μ": "u", "ν": "v", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "σ": "o", "ς": "c",
    "β": "b", "ε": "e", "Ꮃ": "w", "ᴦ": "r",
}  # fmt: skip


@functools.cache
def _confusables() -> dict[str, str]:
    """Single characters UTS #39 calls confusable with one ASCII letter or digit."""
    resource = importlib.resources.files("confusable_homoglyphs").joinpath("confusables.json")
    data: dict[str, list[dict[str, str]]] = json.loads(resource.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for key, entries in data.items():
        if len(key) != 1:
            continue
        for entry in entries:
            other = entry["c"]
            if len(other) != 1:
                continue
            if key.isascii() and key.isalnum() and not other.isascii():
                table.setdefault(other, key)
            elif other.isascii() and other.isalnum() and not key.isascii():
                table.setdefault(key, other)
    return table


@functools.lru_cache(maxsize=65536)
def latin_lookalike(ch: str) -> tuple[str, bool] | None:
    """(ascii letter, of another script) for a character that passes for a Latin letter.

    None for ASCII, for characters that pass for nothing, and for digits of other
    scripts (a Devanagari zero is a number, not an "o").
    """
    if ch.isascii():
        return None
    category = unicodedata.category(ch)
    name = unicodedata.name(ch, "")
    named = _NAME_RE.match(name)
    if named is not None:
        return named.group(1).lower(), False
    if not category.startswith("L"):
        return None
    other_script = not name.startswith("LATIN")
    supplement = _SUPPLEMENT.get(ch)
    if supplement is not None:
        return supplement, other_script
    target = _confusables().get(ch)
    if target is None or not target.isalpha():
        return None
    return target.lower(), other_script
