"""Outbound requests go only to an endpoint's URL, and only to an address we checked.

A URL must be http(s) with a host and no user info. Its host is resolved by us; every
address it resolves to must be public (not private, loopback, link-local, multicast,
reserved, unspecified, shared or site-local) unless the endpoint's admin allowed private
addresses. The connection is then made to the checked addresses themselves (the resolver
aiohttp uses is this one, which hands out only what it checked), so a DNS answer that
changes between the check and the connect (rebinding) can't send us elsewhere. Redirects
are not followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

MAX_URL_CHARS = 2048

_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_PATH_CHARS = (
    r"[^\t-\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    r"\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069<>\"]"
)
API_URL_PATTERN = (
    rf"[hH][tT][tT][pP][sS]?://[A-Za-z0-9.-]{{1,253}}(?::{_PORT})?(?:[/?#]{_PATH_CHARS}{{0,1779}})?"
)
"""What the API takes as an endpoint's URL (the OpenAPI description holds the same
pattern): http or https, a host name or IPv4 address, a port from 1 to 65535, no user
info, at most 2,048 characters; so no URL it stores is one `check_url` refuses."""
_API_URL = re.compile(API_URL_PATTERN)


class Refused(Exception):
    """This URL or address may not be called."""


def check_url(url: str) -> str:
    """The URL if an endpoint may have it; Refused saying why otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        raise Refused(f"must be an http or https URL of at most {MAX_URL_CHARS} characters")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise Refused("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not hold a user name or password")
    if port == 0:
        raise Refused("must not use port 0")
    return url


def check_api_url(url: str) -> str:
    """The URL if the API may store it for an endpoint; Refused saying why otherwise."""
    check_url(url)
    if _API_URL.fullmatch(url) is None:
        raise Refused(
            "must be an http or https URL with a host name or IPv4 address, a port from 1 "
            "to 65535 if any, and nothing but a path, query or fragment after them"
        )
    return url


def ip_literal(host: str) -> str | None:
    """The host as an IP address when it is one ("[::1]" too), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def address_allowed(address: str, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return False
    if allow_private:
        return True
    return ip.is_global and not (ip.is_reserved or ip.is_link_local or ip.is_loopback)


class CheckedResolver(AbstractResolver):
    """Resolves with the system resolver, then hands out only the addresses allowed."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
            )
        except OSError as exc:
            raise Refused(f"could not resolve {host}: {exc}") from None
        out: list[ResolveResult] = []
        refused: list[str] = []
        for fam, _, proto, _, sockaddr in infos:
            address = str(sockaddr[0])
            if not address_allowed(address, self.allow_private):
                refused.append(address)
                continue
            out.append(
                {
                    "hostname": host,
                    "host": address,
                    "port": int(sockaddr[1]),
                    "family": fam,
                    "proto": proto,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        if refused:
            # One bad address refuses the host: a name that resolves to a private address
            # among public ones is how rebinding tricks start.
            raise Refused(
                f"{host} resolves to an address that is not public ({refused[0]}); "
                "an admin may allow private addresses for this endpoint"
            )
        if not out:
            raise Refused(f"{host} has no address")
        return out

    async def close(self) -> None:
        return None


def pinned(resolver: CheckedResolver) -> dict[str, Any]:
    """TCPConnector keyword arguments that make every connection use this resolver."""
    return {"resolver": resolver, "use_dns_cache": False, "ttl_dns_cache": 0}
