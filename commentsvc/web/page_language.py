"""The pages an emailed link opens (confirm, unsubscribe, "My comments", a reporter's
link): their language, and the one private, strict response they are all sent as.

The language is the reader's own choice when we know it (the language their
subscription or report was made in), else the best shipped match of their browser's
Accept-Language, else the site's default language, else English. The catalogue fills
the page's `_`/`_n` and its `<html lang dir>`.
"""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

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


TEMPLATES = Path(__file__).resolve().parent / "templates"
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the path holds the token
    "X-Robots-Tag": "noindex",
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def strong(text: str) -> Markup:
    """A placeholder's value set off in a sentence: bold, isolated from the text's direction."""
    return Markup("<strong><bdi>%s</bdi></strong>") % escape(text)


def wants_html(request: web.Request) -> bool:
    """A browser (an error is then a page, else problem+json)."""
    return "text/html" in request.headers.get("Accept", "")


def link_page(
    request: web.Request,
    template: str,
    catalogue: Catalogue,
    status: int = 200,
    **context: Any,
) -> web.Response:
    """`template` rendered in `catalogue`'s language, sent private (no-store, no referrer,
    noindex) under a CSP that allows only its own nonce-tagged style and same-origin forms."""
    nonce = secrets.token_urlsafe(16)
    body = (
        _environment()
        .get_template(template)
        .render(action=request.path, nonce=nonce, strong=strong, **catalogue.context(), **context)
    )
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
            **PRIVATE_HEADERS,
        },
    )
