"""The /moderate page and its assets are served from the package with a strict CSP."""

from __future__ import annotations

import re

from tests.moderators.helpers import Client


async def test_the_page_has_a_strict_csp_and_no_inline_code(client: Client) -> None:
    resp = await client.get("/moderate")
    assert resp.status == 200 and resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp
    html = await resp.text()
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # every script is a file
    assert "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
    for path, kind in (
        ("/moderate/moderate.js", "text/javascript"),
        ("/moderate/moderate.css", "text/css"),
    ):
        asset = await client.get(path)
        assert asset.status == 200 and asset.content_type == kind
        assert path in html


async def test_the_script_never_writes_markup() -> None:
    from importlib import resources

    script = resources.files("commentsvc.web").joinpath("static", "moderate.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script and "eval(" not in script
