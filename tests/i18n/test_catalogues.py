"""The catalogue check: every language has exactly English's keys, the same placeholders,
and a form for every CLDR plural category a count reaches in that language."""

from __future__ import annotations

import json

import pytest
from babel import Locale

from commentsvc.i18n import (
    CATALOGUES,
    LANGUAGES,
    PLURAL_CATEGORIES,
    Catalogues,
    is_message,
    placeholders,
    plural_category,
    shipped,
)

ENGLISH = shipped("en")


def test_every_shipped_language_has_a_file_and_nothing_else_is_there() -> None:
    assert sorted(p.stem for p in CATALOGUES.glob("*.json")) == sorted(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_matches_english(lang: str) -> None:
    catalogue = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    missing = sorted(set(ENGLISH) - set(catalogue))
    extra = sorted(set(catalogue) - set(ENGLISH))
    assert not missing, f"{lang} lacks {missing}"
    assert not extra, f"{lang} has keys English doesn't: {extra}"
    tags = Locale.parse(lang).plural_form.tags | {"other"}
    reached = {plural_category(lang, n) for n in range(1001)} | {"other"}
    problems = []
    for key, english in ENGLISH.items():
        message = catalogue[key]
        if not is_message(message):
            problems.append(f"{key}: not a string or plural forms")
            continue
        if isinstance(english, dict) != isinstance(message, dict):
            problems.append(f"{key}: plural in one language, not in the other")
            continue
        if placeholders(message) != placeholders(english):
            problems.append(f"{key}: placeholders {sorted(placeholders(message))}")
        if isinstance(message, dict):
            forms = set(message)
            if not forms <= tags or not reached <= forms:
                problems.append(f"{key}: forms {sorted(forms)}, {lang} needs {sorted(reached)}")
            for category, text in message.items():
                if category not in ("zero", "one", "two") and "{count}" not in text:
                    problems.append(f"{key}.{category}: no {{count}}")
        texts = message.values() if isinstance(message, dict) else [message]
        if any(not t.strip() or "<" in t for t in texts):
            problems.append(f"{key}: empty, or holds markup")
    assert not problems, "\n".join(problems)


def test_plural_categories_are_cldr_ones() -> None:
    assert [plural_category("pl", n) for n in (0, 1, 2, 5, 21, 22)] == [
        "many",
        "one",
        "few",
        "many",
        "many",
        "few",
    ]
    assert [plural_category("ar", n) for n in (0, 1, 2, 5, 21, 100)] == [
        "zero",
        "one",
        "two",
        "few",
        "many",
        "other",
    ]
    assert set(PLURAL_CATEGORIES) >= Locale.parse("ar").plural_form.tags


def test_a_site_overrides_a_message_and_bad_overrides_are_ignored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "i18n" / "news"
    folder.mkdir(parents=True)
    (folder / "de.json").write_text(
        json.dumps(
            {
                "w.heading": "Leserbriefe",
                "w.comments": {"one": "{count} Brief", "other": "{count} Briefe"},
                "w.no_such_key": "x",
                "w.reply_to": "Antwort an {nobody}",
                # plural forms where English has one sentence, and the reverse
                "w.post": {"one": "Senden", "other": "Senden"},
                "me.replies": "Antworten",
            }
        ),
        encoding="utf-8",
    )
    cats = Catalogues(tmp_path)
    de = cats.get("news", "de")
    assert de.text("w.post") == str(shipped("de")["w.post"])  # no KeyError for a count
    assert de.plural("me.replies", 2) == shipped("de")["me.replies"]["other"].replace(
        "{count}", "2"
    )  # type: ignore[index]
    assert de.text("w.heading") == "Leserbriefe"
    assert de.plural("w.comments", 2) == "2 Briefe"
    assert "w.no_such_key" not in de.messages
    assert de.text("w.reply_to", name="Ann") == "Antwort an Ann"
    assert cats.get("other", "de").text("w.heading") == "Kommentare"
    assert cats.get("news", "xx").lang == "en"


def test_an_override_may_not_add_a_count_to_a_sentence_without_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "i18n" / "news"
    folder.mkdir(parents=True)
    (folder / "de.json").write_text(
        json.dumps({"w.heading": "{count} Leserbriefe", "w.closed": "Geschlossen"}),
        encoding="utf-8",
    )
    de = Catalogues(tmp_path).get("news", "de")
    # `{count}` in a sentence English has without one: nothing passes a count (KeyError, 500)
    assert de.text("w.heading") == shipped("de")["w.heading"]
    assert de.text("w.closed") == "Geschlossen"
