"""Which language a page the service renders itself is in (subscription links, "My comments").

The reader's own choice when we know it (the language their subscription was made in),
else the best shipped match of their browser's Accept-Language, else the site's default
language, else English. The catalogue it returns fills the page's `_`/`_n` and its
`<html lang dir>`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from aiohttp import web

from commentsvc.i18n import DEFAULT, Catalogue, Catalogues, accept_language, negotiate
from commentsvc.web.keys import SETTINGS


@functools.cache
def catalogues(data_dir: str) -> Catalogues:
    """One per data dir: site overrides are read once."""
    return Catalogues(Path(data_dir))


def page_catalogue(request: web.Request, site_id: str = "", chosen: str | None = None) -> Catalogue:
    found = catalogues(str(request.app[SETTINGS].data_dir))
    if chosen:
        return found.get(site_id, chosen)
    fallback = found.site_default(site_id) if site_id else DEFAULT
    lang = negotiate(accept_language(request.headers.get("Accept-Language", "")), fallback)
    return found.get(site_id, lang)
