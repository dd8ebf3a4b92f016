"""Pages and assets: the widget script (`/embed.js`) and the demo article (`/demo`).

Caching of the widget, chosen so embeds pick up a new release within minutes
while repeat views cost nothing:

- `GET /embed.js` — the one URL site owners paste. `Cache-Control: public,
  max-age=300` plus a strong `ETag` (a hash of the content), so after five
  minutes a browser or CDN revalidates with `If-None-Match` and gets a `304`.
- `GET /embed.<hash>.js` — the same bytes under a content-hashed name, cached
  for a year as `immutable`. Pages we render ourselves (the demo) use it. An
  old hash (a page cached across a release) still gets the current script,
  with the short caching of `/embed.js`, so no embed breaks after a deploy.

Both are served gzip-compressed when the browser accepts it.

The widget's messages (commentsvc/i18n) load on demand, one small file per language:

- `GET /i18n/<site>/<tag>.json` — which file: `{"lang", "dir", "url"}` for the best
  shipped match of the tag (`auto`: none asked for), else the site's default language;
  revalidated after five minutes, like `/embed.js`.
- `GET /i18n/<site>/<lang>.<hash>.json` — the messages (the site's overrides included)
  under their content hash, immutable for a year; an old hash gets the current file,
  cached briefly.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
from dataclasses import dataclass
from importlib import resources

import jinja2
from aiohttp import web

from commentsvc.i18n import LANGUAGES, RTL, negotiate
from commentsvc.validation import is_site_id
from commentsvc.web.keys import RUNTIME, SETTINGS
from commentsvc.web.page_language import catalogues

JS_TYPE = "text/javascript"
JSON_TYPE = "application/json"
EMBED_CACHE_CONTROL = "public, max-age=300"
HASHED_CACHE_CONTROL = "public, max-age=31536000, immutable"
DEMO_CACHE_CONTROL = "no-cache"
DEMO_THREAD = "demo/millbrook-ferry"
DEMO_TITLE = "Volunteers bring the Millbrook ferry back after forty years"


@dataclass(frozen=True, slots=True)
class Asset:
    """A static file held in memory with its hash and a gzip copy."""

    body: bytes
    gzipped: bytes
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def _package_file(*parts: str) -> bytes:
    return resources.files("commentsvc.web").joinpath(*parts).read_bytes()


@functools.cache
def embed_asset() -> Asset:
    body = _package_file("static", "embed.js")
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        digest=hashlib.sha256(body).hexdigest()[:16],
    )


def embed_path() -> str:
    """The content-hashed URL path of the current widget."""
    return f"/embed.{embed_asset().digest}.js"


def _serve_asset(
    request: web.Request, asset: Asset, cache_control: str, content_type: str = JS_TYPE
) -> web.Response:
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    etag = f'"{asset.digest}-gz"' if accepts_gzip else asset.etag
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if_none_match = request.headers.get("If-None-Match", "")
    if asset.digest in if_none_match or if_none_match.strip() == "*":
        return web.Response(status=304, headers=headers)
    if accepts_gzip:
        headers["Content-Encoding"] = "gzip"
    return web.Response(
        body=asset.gzipped if accepts_gzip else asset.body,
        content_type=content_type,
        charset="utf-8",
        headers=headers,
    )


async def embed_js(request: web.Request) -> web.Response:
    """GET /embed.js — the widget script (ETag, revalidated after 5 minutes)."""
    return _serve_asset(request, embed_asset(), EMBED_CACHE_CONTROL)


async def embed_js_hashed(request: web.Request) -> web.Response:
    """GET /embed.{hash}.js — the widget under its content hash (immutable for a year)."""
    asset = embed_asset()
    current = request.match_info["hash"] == asset.digest
    return _serve_asset(request, asset, HASHED_CACHE_CONTROL if current else EMBED_CACHE_CONTROL)


# ----- the widget's language files ----------------------------------------------------------

# Public, credential-free and the same for every origin: any page may fetch them.
I18N_HEADERS = {"Access-Control-Allow-Origin": "*"}


@functools.lru_cache(maxsize=1024)  # real sites × 12 languages: only sites that exist get here
def _bundle_asset(data_dir: str, site: str, lang: str) -> Asset:
    body, digest = catalogues(data_dir).get(site, lang).bundle
    return Asset(body=body, gzipped=gzip.compress(body, compresslevel=9, mtime=0), digest=digest)


async def _site_of(request: web.Request) -> str:
    """The site in the path, if it exists (an unknown one would cost a bundle each)."""
    site = request.match_info["site"]
    if not is_site_id(site) or await request.app[RUNTIME].service.site(site) is None:
        raise web.HTTPNotFound(text="no such site", headers=I18N_HEADERS)
    return site


async def i18n_pointer(request: web.Request) -> web.Response:
    """GET /i18n/{site}/{lang}.json — the widget's language file for a tag (or `auto`)."""
    site = await _site_of(request)
    data_dir = str(request.app[SETTINGS].data_dir)
    tag = request.match_info["lang"]
    lang = negotiate([] if tag == "auto" else [tag], catalogues(data_dir).site_default(site))
    asset = _bundle_asset(data_dir, site, lang)
    body = json.dumps(
        {
            "lang": lang,
            "dir": "rtl" if lang in RTL else "ltr",
            "url": f"/i18n/{site}/{lang}.{asset.digest}.json",
        }
    ).encode()
    digest = hashlib.sha256(body).hexdigest()[:16]
    headers = {**I18N_HEADERS, "ETag": f'"{digest}"', "Cache-Control": EMBED_CACHE_CONTROL}
    if digest in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=JSON_TYPE, headers=headers)


async def i18n_file(request: web.Request) -> web.Response:
    """GET /i18n/{site}/{lang}.{hash}.json — the widget's messages in one language."""
    site = await _site_of(request)
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        raise web.HTTPNotFound(text="no such language")
    asset = _bundle_asset(str(request.app[SETTINGS].data_dir), site, lang)
    current = request.match_info["hash"] == asset.digest
    cache = HASHED_CACHE_CONTROL if current else EMBED_CACHE_CONTROL
    response = _serve_asset(request, asset, cache, JSON_TYPE)
    response.headers.update(I18N_HEADERS)
    return response


@dataclass(frozen=True, slots=True)
class Page:
    html: bytes
    csp: str


def _csp(style_hash: str) -> str:
    """Strict: our own scripts and connections only, the page's one <style> by its hash."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            f"style-src 'sha256-{style_hash}'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commentsvc.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def demo_page(public_url: str) -> Page:
    css = _package_file("static", "demo.css").decode()
    style_hash = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    html = (
        _templates()
        .get_template("demo.html")
        .render(
            css=css,
            embed_src=embed_path(),
            thread=DEMO_THREAD,
            title=DEMO_TITLE,
            url=f"{public_url}/demo",
        )
    )
    return Page(html=html.encode(), csp=_csp(style_hash))


async def demo(request: web.Request) -> web.Response:
    """GET /demo — a demo article with the widget, feedback questions and count badges."""
    page = demo_page(request.app[SETTINGS].resolved_public_url)
    return web.Response(
        body=page.html,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": page.csp,
            "Cache-Control": DEMO_CACHE_CONTROL,
            "X-Frame-Options": "DENY",
        },
    )
