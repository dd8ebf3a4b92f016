"""A Redis address behind Sentinel, read from a `redis+sentinel://` URL.

    redis+sentinel://[:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/SERVICE[/DB][?sentinel_password=P]

names the sentinels (port 26379 when left out), the service (the master's name in the
sentinels' configuration) and the database number; `rediss+sentinel://` talks TLS to the
master. `commentsvc.queue.sentinel` builds the client that follows the master.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = ("redis+sentinel", "rediss+sentinel")
DEFAULT_SENTINEL_PORT = 26379
MAX_REDIS_DB = 2**31 - 1  # SELECT takes an int


@dataclass(frozen=True, slots=True)
class SentinelAddress:
    """Where the sentinels are and which master they watch."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    password: str | None = None  # the master's and replicas'
    sentinel_password: str | None = None
    tls: bool = False


def is_sentinel_url(url: str) -> bool:
    return url.strip().lower().split("://", 1)[0] in SCHEMES


def parse_sentinel_url(url: str) -> SentinelAddress:
    """The address a `redis+sentinel://` URL names; ValueError saying what is wrong."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}")
    parts = urlsplit("//" + rest)
    netloc = parts.netloc
    password: str | None = None
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        password = unquote(userinfo.partition(":")[2] or userinfo) or None
    sentinels = tuple(_host_port(item) for item in netloc.split(","))
    path = [piece for piece in parts.path.split("/") if piece]
    if not path:
        raise ValueError("names no service: add /SERVICE after the sentinels")
    if len(path) > 2:
        raise ValueError("has too many path parts: use /SERVICE or /SERVICE/DB")
    db = 0
    if len(path) == 2:
        if not path[1].isascii() or not path[1].isdigit():
            raise ValueError(f"database must be a number, got {path[1]!r}")
        db = int(path[1])
        if db > MAX_REDIS_DB:  # Redis would refuse every command, which reads as "down"
            raise ValueError(f"database must be a number from 0 to {MAX_REDIS_DB}, got {db}")
    query = parse_qs(parts.query)
    unknown = set(query) - {"sentinel_password"}
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
    sentinel_password = query.get("sentinel_password", [None])[-1]
    return SentinelAddress(
        sentinels=sentinels,
        service=unquote(path[0]),
        db=db,
        password=password,
        sentinel_password=sentinel_password,
        tls=scheme.lower().startswith("rediss"),
    )


def _host_port(item: str) -> tuple[str, int]:
    item = item.strip()
    if not item:
        raise ValueError("has an empty sentinel address")
    if item.startswith("["):  # [::1]:26379
        host, _, tail = item[1:].partition("]")
        port_text = tail.removeprefix(":")
    else:
        host, _, port_text = item.rpartition(":") if ":" in item else (item, "", "")
    if not host:
        raise ValueError(f"has a sentinel address with no host: {item!r}")
    if not port_text:
        return host, DEFAULT_SENTINEL_PORT
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"has a sentinel address with a bad port: {item!r}")
    return host, int(port_text)
