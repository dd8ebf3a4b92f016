"""Who is calling: the client address, trusting X-Forwarded-For only from our own proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from commentsvc.config import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted(addr: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(addr in net for net in proxies)


def client_ip(request: web.BaseRequest, proxies: Sequence[IPNetwork]) -> str:
    """The caller's address. Behind trusted proxies, the nearest untrusted X-Forwarded-For hop."""
    peer_text = request.remote or ""
    peer = parse_address(peer_text)
    if peer is None:
        return peer_text or "unix"
    if not proxies or not is_trusted(peer, proxies):
        return str(peer)
    forwarded = request.headers.getall("X-Forwarded-For", [])
    hops = [h for value in forwarded for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        addr = parse_address(hop)
        if addr is None:
            break  # a garbled hop: trust nothing further out
        if not is_trusted(addr, proxies):
            return str(addr)
    return str(peer)
