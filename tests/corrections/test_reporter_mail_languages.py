"""The reporter's two emails render in every shipped language: no key missing, no
placeholder left, right-to-left where it should be, a valid MIME message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from commentsvc.i18n import LANGUAGES, RTL
from commentsvc.notify.compose import Composer
from tests.i18n.test_emails import LEFTOVER, NAME, TITLE, check_message
from tests.notify.test_compose import SITE, THREAD, settings


def contexts(composer: Composer) -> dict[str, dict[str, Any]]:
    base = composer.base_context(SITE, THREAD, "https://comments.news.example/c/stop")
    base["thread"]["title"] = TITLE
    return {
        "correction_confirm": {**base, "confirm_url": "https://c.example/c/tok"},
        "corrected": {**base, "quote": "42 million", "public_note": NAME},
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_reporter_mails_render_in_every_language(tmp_path: Path, lang: str) -> None:
    composer = Composer(settings(tmp_path))
    for name, context in contexts(composer).items():
        rendered = composer.render(SITE.id, name, context, lang)
        for part in (rendered.subject, rendered.text, rendered.html):
            assert not LEFTOVER.search(part), (lang, name, part)
        assert f'<html lang="{lang}" dir="{"rtl" if lang in RTL else "ltr"}">' in rendered.html
        if lang != "en":
            english = composer.render(SITE.id, name, context, "en")
            assert rendered.subject != english.subject, (lang, name)
        check_message(composer, rendered)
