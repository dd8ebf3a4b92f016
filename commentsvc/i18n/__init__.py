"""Message catalogues: one JSON file per language for everything a reader sees.

`commentsvc/i18n/catalogues/<lang>.json` maps a key to a message: a string
with `{name}` placeholders, or (for counts) an object keyed by CLDR plural
category (`zero`, `one`, `two`, `few`, `many`, `other`) whose strings may use
`{count}`. English is the reference: every language has exactly its keys and
placeholders (tests/i18n/test_catalogues.py). The widget's part (keys under
`w.` and `why.`) is served as a small JSON file per language: `Catalogue.bundle()`,
at `/i18n/<site>/<lang>.<hash>.json` (immutable), the hash found through the short-cached
`/i18n/<site>/<tag>.json` (commentsvc/web/handlers/pages.py).

A site overrides any message with `<data dir>/i18n/<site id>/<lang>.json`
(the same format, any subset of keys); an override whose key is unknown or
whose placeholders differ from the shipped message is ignored and logged.
A site's default language (for a widget whose page names none) is
`{"default": "<lang>"}` in `<data dir>/i18n/<site id>/site.json`.

Plural categories come from CLDR through Babel, never from hand-written rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

CATALOGUES = Path(__file__).parent / "catalogues"
# Shipped languages; English first (the reference and the fallback).
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "uk", "ar", "he", "ja")
DEFAULT = "en"
RTL = frozenset({"ar", "he"})
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
WIDGET_PREFIXES = ("w.", "why.")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")

Message = str | dict[str, str]


def placeholders(message: Message) -> frozenset[str]:
    """The `{name}` placeholders a message uses (all its plural forms together)."""
    texts = message.values() if isinstance(message, dict) else [message]
    return frozenset(name for text in texts for name in _PLACEHOLDER.findall(text))


def fill(text: str, params: Mapping[str, Any]) -> str:
    """`text` with each `{name}` replaced; a placeholder without a value is a KeyError."""
    return _PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), text)


def is_message(value: object) -> bool:
    if isinstance(value, str):
        return True
    return (
        isinstance(value, dict)
        and "other" in value
        and all(k in PLURAL_CATEGORIES and isinstance(v, str) for k, v in value.items())
    )


@functools.cache
def shipped(lang: str) -> dict[str, Message]:
    """The shipped catalogue of one language (KeyError-free: unknown languages are empty)."""
    if lang not in LANGUAGES:
        return {}
    data = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"catalogue {lang}: not an object")
    return data


@functools.cache
def _plural_form(lang: str) -> Any:
    return Locale.parse(lang).plural_form


def plural_category(lang: str, count: int | float) -> str:
    """The CLDR plural category of `count` in `lang` (Babel)."""
    return str(_plural_form(lang)(count))


def shipped_language(tag: str | None) -> str | None:
    """The shipped language a reader's tag asks for ('pt-BR' → 'pt'), or None for none."""
    tag = (tag or "").strip()
    if not tag or not _LANG_TAG.match(tag):
        return None
    base = tag.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def negotiate(requested: Iterable[str], default: str = DEFAULT) -> str:
    """The first shipped language matching a tag in `requested` ('pt-BR' → 'pt'), or
    `default` (itself a shipped language, else English)."""
    for tag in requested:
        found = shipped_language(tag)
        if found is not None:
            return found
    return default if default in LANGUAGES else DEFAULT


def accept_language(header: str) -> list[str]:
    """Tags of an Accept-Language header, best first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language for one site (shipped, then the site's overrides)."""

    lang: str
    messages: Mapping[str, Message]

    @property
    def dir(self) -> str:
        return "rtl" if self.lang in RTL else "ltr"

    def _message(self, key: str) -> Message:
        message = self.messages.get(key)
        if message is None:
            message = shipped(DEFAULT)[key]  # a KeyError names a key English lacks
        return message

    def text(self, key: str, **params: Any) -> str:
        message = self._message(key)
        if isinstance(message, dict):
            return self.plural(key, int(params.pop("count")), **params)
        return fill(message, params)

    def plural(self, key: str, count: int, **params: Any) -> str:
        message = self._message(key)
        if isinstance(message, str):
            return fill(message, {**params, "count": count})
        form = message.get(plural_category(self.lang, count)) or message["other"]
        return fill(form, {**params, "count": self.number(count)})

    def number(self, count: int) -> str:
        return str(count)

    # ----- Jinja2 helpers: markup-aware, so a link can stand for a placeholder -----------

    def jinja_text(self, key: str, **params: Any) -> str | Markup:
        if not any(isinstance(v, Markup) for v in params.values()):
            return self.text(key, **params)
        safe = {k: escape(v) for k, v in params.items()}
        message = self._message(key)
        if isinstance(message, dict):
            count = int(params["count"])
            text = message.get(plural_category(self.lang, count)) or message["other"]
        else:
            text = message
        return Markup(fill(str(escape(text)), safe))  # noqa: S704 - every part escaped

    def jinja_plural(self, key: str, count: int, **params: Any) -> str | Markup:
        return self.jinja_text(key, count=count, **params)

    def widget(self) -> dict[str, Message]:
        """The widget's share: keys under `w.` and `why.`."""
        return {k: v for k, v in self.messages.items() if k.startswith(WIDGET_PREFIXES)}

    @functools.cached_property
    def bundle(self) -> tuple[bytes, str]:
        """The widget's file: `{"lang", "dir", "messages"}` as compact JSON, and its hash."""
        data = {"lang": self.lang, "dir": self.dir, "messages": self.widget()}
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        raw = body.encode("utf-8")
        return raw, hashlib.sha256(raw).hexdigest()[:16]

    def context(self) -> dict[str, Any]:
        """What a template needs: `_` / `_n` helpers, `lang` and `dir`."""
        return {"_": self.jinja_text, "_n": self.jinja_plural, "lang": self.lang, "dir": self.dir}


def _overrides(path: Path, lang: str) -> dict[str, Message]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("i18n override %s ignored: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("i18n override %s ignored: not an object", path)
        return {}
    english = shipped(DEFAULT)
    out: dict[str, Message] = {}
    for key, value in data.items():
        if key not in english or not is_message(value):
            log.warning("i18n override %s: %r ignored (unknown key or bad value)", path, key)
            continue
        if isinstance(value, dict) != isinstance(english[key], dict):
            # A plural where English has one sentence (or the reverse) would be read
            # with the wrong call: keep the shipped message.
            log.warning(
                "i18n override %s: %r ignored (plural forms differ from English)", path, key
            )
            continue
        # Only a plural is always given its count: a sentence gets just English's placeholders.
        counted = {"count"} if isinstance(english[key], dict) else set()
        if placeholders(value) - placeholders(english[key]) - counted:
            log.warning("i18n override %s: %r ignored (placeholders differ)", path, key)
            continue
        out[key] = value
    return out


class Catalogues:
    """Catalogues per (site, language), site overrides read once from the data dir."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.override_root = data_dir / "i18n" if data_dir is not None else None
        self._cache: dict[tuple[str, str], Catalogue] = {}
        self._defaults: dict[str, str] = {}

    def get(self, site_id: str, lang: str) -> Catalogue:
        lang = lang if lang in LANGUAGES else DEFAULT
        key = (site_id, lang)
        found = self._cache.get(key)
        if found is not None:
            return found
        messages = dict(shipped(lang))
        if self.override_root is not None and _SITE_ID.match(site_id):
            messages.update(_overrides(self.override_root / site_id / f"{lang}.json", lang))
        found = Catalogue(lang, messages)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = found
        return found

    def site_default(self, site_id: str) -> str:
        """The site's default language (`site.json` in its override folder), else English."""
        found = self._defaults.get(site_id)
        if found is not None:
            return found
        lang = DEFAULT
        if self.override_root is not None and _SITE_ID.match(site_id):
            path = self.override_root / site_id / "site.json"
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                data = {}
            except (OSError, ValueError) as exc:
                log.warning("i18n settings %s ignored: %s", path, exc)
                data = {}
            wanted = data.get("default") if isinstance(data, dict) else None
            if isinstance(wanted, str) and wanted in LANGUAGES:
                lang = wanted
            elif wanted is not None:
                log.warning("i18n settings %s: default %r is not a shipped language", path, wanted)
        if len(self._defaults) > 4096:
            self._defaults.clear()
        self._defaults[site_id] = lang
        return lang


ENGLISH = Catalogue(DEFAULT, shipped(DEFAULT))
