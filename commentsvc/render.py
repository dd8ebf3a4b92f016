"""Comment text to safe HTML: paragraphs, line breaks, links. No HTML from the user survives."""

from __future__ import annotations

import html
import re

import nh3

from commentsvc.moderation.links import find_links

LINK_REL = "nofollow ugc noopener"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_ALLOWED_TAGS = {"p", "br", "a"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}


def _linkify(text: str) -> str:
    """Escape `text`, turning every http(s) or www. link into an anchor."""
    out: list[str] = []
    pos = 0
    for match in find_links(text):
        out.append(html.escape(text[pos : match.start()], quote=True))
        url = match.group(0)
        href = url if url.lower().startswith(("http://", "https://")) else "https://" + url
        out.append(f'<a href="{html.escape(href, quote=True)}">{html.escape(url, quote=True)}</a>')
        pos = match.end()
    out.append(html.escape(text[pos:], quote=True))
    return "".join(out)


def render_body(text: str) -> str:
    """Render plain comment text as sanitized HTML."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p.strip("\n") for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    raw = "".join("<p>" + _linkify(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return nh3.clean(
        raw,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
    )
