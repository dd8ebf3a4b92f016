"""Finding links in comment text (shared by the links stage and the renderer)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# http(s) URLs and bare www. hosts; trailing punctuation is not part of a link.
LINK_RE = re.compile(
    r"""(?xi)
    \b(?:https?://|www\.)
    [^\s<>"'`]+
    (?<![.,;:!?)\]}'"])
    """
)


def find_links(text: str) -> list[re.Match[str]]:
    """Every link in `text`, in order."""
    return list(LINK_RE.finditer(text))


def link_domain(url: str) -> str:
    """The host of a link, lower-cased, without a leading www."""
    if not url.lower().startswith(("http://", "https://")):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def domains_in(text: str) -> list[str]:
    """Distinct link domains in `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in find_links(text):
        domain = link_domain(match.group(0))
        if domain:
            seen.setdefault(domain, None)
    return list(seen)
