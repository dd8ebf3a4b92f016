"""The widget script and the demo page: caching, size budget, strict CSP."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from importlib import resources
from typing import Any

from aiohttp.test_utils import TestClient

from commentsvc.web.handlers.pages import DEMO_THREAD, embed_asset

# embed.js carries its CSS (applied as a constructable stylesheet), so this is the whole widget.
BUDGET_GZIP_BYTES = 20 * 1024
STATIC = resources.files("commentsvc.web").joinpath("static")


def test_widget_fits_the_size_budget() -> None:
    shipped = [p for p in STATIC.iterdir() if p.name.startswith("embed.")]
    assert [p.name for p in shipped] == ["embed.js"]  # no separate CSS to add
    raw = b"".join(p.read_bytes() for p in shipped)
    size = len(gzip.compress(raw, compresslevel=9))
    print(f"embed.js: {len(raw)} bytes, {size} bytes gzipped (budget {BUDGET_GZIP_BYTES})")
    assert size <= BUDGET_GZIP_BYTES


async def test_embed_js_is_revalidated_with_an_etag(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/embed.js", headers={"Accept-Encoding": "identity"})
    assert resp.status == 200
    assert resp.content_type == "text/javascript"
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    body = await resp.read()
    assert body == STATIC.joinpath("embed.js").read_bytes()
    etag = resp.headers["ETag"]
    assert etag == f'"{hashlib.sha256(body).hexdigest()[:16]}"'
    again = await client.get("/embed.js", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["ETag"]


async def test_embed_js_is_served_gzipped(client: TestClient[Any, Any]) -> None:
    resp = await client.get(
        "/embed.js", headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False
    )
    assert resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    raw = await resp.read()
    assert gzip.decompress(raw) == embed_asset().body
    assert len(raw) <= BUDGET_GZIP_BYTES
    # The gzip copy has its own validator, and it revalidates too.
    again = await client.get(
        "/embed.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": resp.headers["ETag"]},
        auto_decompress=False,
    )
    assert again.status == 304


async def test_hashed_alias_is_immutable(client: TestClient[Any, Any]) -> None:
    asset = embed_asset()
    resp = await client.get(f"/embed.{asset.digest}.js")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert await resp.read() == asset.body


async def test_a_stale_hash_gets_the_current_script_briefly_cached(
    client: TestClient[Any, Any],
) -> None:
    resp = await client.get("/embed.0000000000000000.js")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert await resp.read() == embed_asset().body


async def test_demo_page_has_a_strict_csp(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/demo")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    html = await resp.text()
    csp = dict(
        [*d.strip().split(" ", 1), ""][:2]
        for d in resp.headers["Content-Security-Policy"].split(";")
    )
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["connect-src"] == "'self'"
    assert "unsafe" not in resp.headers["Content-Security-Policy"]
    # The page's one <style> is allowed by its hash, nothing else inline.
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert csp["style-src"] == f"'sha256-{digest}'"
    assert " style=" not in html
    assert re.search(r"<script>", html) is None  # no inline script


async def test_demo_page_embeds_the_widget(client: TestClient[Any, Any]) -> None:
    html = await (await client.get("/demo")).text()
    src = re.search(r'<script src="([^"]+)" data-site="default" async>', html)
    assert src is not None
    assert (await client.get(src.group(1))).status == 200
    assert f'data-commentsvc-thread="{DEMO_THREAD}"' in html
    assert 'data-commentsvc-url="http://127.0.0.1:8080/demo"' in html
    assert html.count("data-commentsvc-feedback=") >= 2
    assert html.count("data-question=") >= 2
    assert f'data-commentsvc-count="{DEMO_THREAD}"' in html
    assert "data-commentsvc-article" in html
    # Every paragraph of the article has an id, so feedback can point at its block.
    article = html.split("<article", 1)[1].split("</article>", 1)[0]
    assert all(' id="' in p for p in re.findall(r"<p[^>]*>", article)[2:])
