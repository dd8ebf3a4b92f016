"""Comment text from other systems into what our renderer makes: `body` (plain text, as a
reader would have typed it) and `body_html` (p, br and a only, sanitized by the same nh3 rules
as a new comment, links rel="nofollow ugc noopener")."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

from commentsvc.render import LINK_REL, render_body
from commentsvc.validation import MAX_NAME_CHARS, Fields, has_control_chars

_ALLOWED_TAGS = {"p", "br", "a"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
# The rules of commentsvc.render.render_body, built once (a Cleaner is twice as fast per call).
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https"},
    link_rel=LINK_REL,
)
_BLOCK = re.compile(r"<\s*(p|div|blockquote|ul|ol|li|pre|h[1-6]|table)\b", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
# A block's end is a blank line, <br> a newline ("< br>" counted as a block, as it always was).
_BLOCK_END = re.compile(
    r"</\s*(p|div|blockquote|li|pre|h[1-6]|tr)\s*>|<\s+br\s*/?\s*>", re.IGNORECASE
)
_BREAK = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)
# Characters nh3 would change in text between our own <p> and <br> (escape or drop).
_ESCAPED = re.compile("[<>&\x00\xa0]")
_TAG = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r"<a\b[^>]*\bhref\s*=\s*([\"'])(.*?)\1[^>]*>(.*?)</a\s*>", re.I | re.S)
_SPACES = re.compile(r"[ \t]+")
_MANY_BREAKS = re.compile(r"\n{3,}")


def sanitize_html(raw: str) -> str:
    """HTML from WordPress, Disqus or Remark42 as our renderer's HTML.

    Text without block markup gets WordPress's automatic paragraphs (blank line: a new
    paragraph, newline: a line break), as the source displayed it."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip() if "\r" in raw else raw.strip()
    if "<" in text and _BLOCK.search(text):
        cleaned: str = _CLEANER.clean(text)
        return cleaned
    paragraphs = [p.strip("\n") for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    text = "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)
    if not _ESCAPED.search(raw):
        return text  # only our <p> and <br> round text nh3 would give back unchanged
    cleaned = _CLEANER.clean(text)
    return cleaned


def _link(match: re.Match[str]) -> str:
    href, label = html.unescape(match.group(2)), _TAG.sub("", match.group(3))
    label = html.unescape(label).strip()
    if not label or label == href or not href.lower().startswith(("http://", "https://")):
        return label or href
    return f"{label} ({href})"


def html_to_plain(raw: str) -> str:
    """Plain text of source HTML: paragraphs as blank lines, a link as its text and URL."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n") if "\r" in raw else raw
    if "<" in text:  # every pattern here starts with "<"
        lower = text.lower()
        if "<br" in lower or _BLOCK.search(text):
            text = text.replace("\n", " ")
        if "<a" in lower:
            text = _ANCHOR.sub(_link, text)
        text = _TAG.sub("", _BLOCK_END.sub("\n\n", _BREAK.sub("\n", text)))
    if "&" in text:
        text = html.unescape(text)
    if "\t" in text or "  " in text:
        text = _SPACES.sub(" ", text)
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _MANY_BREAKS.sub("\n\n", text)
    return text.strip()


def convert(text: str, is_html: bool) -> tuple[str, str]:
    """(body, body_html) for a comment's source text."""
    if is_html:
        return html_to_plain(text), sanitize_html(text)
    body = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return body, render_body(body)


def count_of(value: object) -> int:
    """A count from a source's field that may hold anything (SQLite keeps what it is
    given, meta values are text): 0 unless int() reads it ("²" is a digit int() refuses,
    and so is text of more digits than Python converts)."""
    if not isinstance(value, int | float | str | bytes):
        return 0
    try:
        return int(value)
    except (ValueError, OverflowError):
        return 0


def clean_name(name: str) -> str:
    """An author name as the API would take it: one line, no controls, at most 64 characters."""
    flat = " ".join(name.split())
    if has_control_chars(flat, allow_newlines=False):
        flat = "".join(ch for ch in flat if not has_control_chars(ch, allow_newlines=False))
    return flat[:MAX_NAME_CHARS].strip() or "Guest"


def clean_email(email: str | None) -> str | None:
    """The address as the API stores it (domain lowercased), or None if it is not one."""
    if not email or not email.strip():
        return None
    fields = Fields({"email": email.strip()})
    value = fields.email("email")
    return None if fields.errors else value


def url_path_key(url: str) -> str:
    """A thread key from an article URL: its path (and query) without the slashes round it."""
    parts = urlsplit(url.strip())
    path = parts.path.strip("/")
    if parts.query:
        path = f"{path}?{parts.query}"
    return path or "/"
