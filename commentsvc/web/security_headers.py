"""The security headers every response carries, and a response that already has them."""

from __future__ import annotations

from aiohttp import web

API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": API_CSP,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class FinishedResponse(web.Response):
    """A response built with all of `SECURITY_HEADERS`: the middleware need not look."""


def secure(response: web.StreamResponse) -> None:
    """Add each security header the response does not set itself (pages set their own CSP)."""
    if isinstance(response, FinishedResponse):
        return
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
