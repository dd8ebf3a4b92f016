"""No HTML from a reader survives into body_html; links are safe and marked."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from commentsvc.render import render_body
from tests.web.helpers import post_approved, thread

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><script>alert(document.cookie)</script>',
    '<a href="javascript:alert(1)">click</a>',
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    'https://ok.example/"onmouseover="alert(1)',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href='https://x.example' onclick='alert(1)'>x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
ALLOWED = {"p": set(), "br": set(), "a": {"href", "rel"}}


class TagCollector(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def assert_safe(html: str) -> None:
    parser = TagCollector()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag in ALLOWED, (tag, html)
        assert set(attrs) <= ALLOWED[tag], (attrs, html)
        if tag == "a":
            assert (attrs["href"] or "").startswith(("https://", "http://")), html
            assert attrs["rel"] == "nofollow ugc noopener"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_escapes_payload(payload: str) -> None:
    html = render_body(payload)
    assert_safe(html)
    assert "<script" not in html.lower()


def test_render_paragraphs_breaks_and_links() -> None:
    html = render_body(
        "First line\nsecond line\n\nNew paragraph with https://example.org/a?b=1&c=2."
    )
    assert html == (
        "<p>First line<br>second line</p>"
        '<p>New paragraph with <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "https://example.org/a?b=1&amp;c=2</a>.</p>"
    )
    assert render_body("see www.example.com") == (
        '<p>see <a href="https://www.example.com" rel="nofollow ugc noopener">www.example.com</a></p>'
    )


async def test_payloads_through_the_api(client: TestClient[Any, Any]) -> None:
    for i, payload in enumerate(PAYLOADS):
        await post_approved(
            client, thread="t/xss", body=f"{payload} #{i}", author_name=payload[:64]
        )
    page = await thread(client, "t/xss", limit="100")
    assert len(page["comments"]) == len(PAYLOADS)
    for comment in page["comments"]:
        assert_safe(comment["body_html"])
        assert comment["author_name"] in {
            p[:64] for p in PAYLOADS
        }  # kept as text, escaped by the widget
