"""The stages that need no word list: keys, bans, links, spam signals, trust.

Each returns reasons naming its rule and exactly what it matched, so a
moderator sees why a comment was held.
"""

from __future__ import annotations

from commentsvc.models import Action, Reason, Span
from commentsvc.moderation.links import domains_in, find_links
from commentsvc.moderation.types import Item, PerItemStage


def _key_haystacks(item: Item) -> list[tuple[str, str]]:
    fields = [("name", item.author_name), ("body", item.body)]
    if item.author_email:
        fields.append(("email", item.author_email))
    fields.extend(("link", domain) for domain in domains_in(item.body))
    return fields


def _match_keys(item: Item, keys: tuple[str, ...], rule: str, action: Action) -> list[Reason]:
    """WordPress semantics: each key matches case-insensitively anywhere, even inside words."""
    if not keys:
        return []
    reasons: list[Reason] = []
    haystacks = [(where, text, text.casefold()) for where, text in _key_haystacks(item)]
    for key in keys:
        needle = key.casefold()
        for where, _text, folded in haystacks:
            start = folded.find(needle)
            if start < 0:
                continue
            spans: tuple[Span, ...] = ()
            if where == "body":
                spans = tuple(_all_spans(folded, needle))
            reasons.append(Reason(rule, f'"{key}" in {where}', action, spans))
            break
    return reasons


def _all_spans(folded: str, needle: str) -> list[Span]:
    spans = []
    start = folded.find(needle)
    while start >= 0:
        spans.append(Span(start, start + len(needle)))
        start = folded.find(needle, start + len(needle))
    return spans


class KeysStage(PerItemStage):
    """Moderation keys hold a comment; disallowed keys mark it spam."""

    name = "keys"

    def check(self, item: Item) -> list[Reason]:
        policy = item.policy
        return _match_keys(item, policy.disallowed_keys, "disallowed_key", Action.SPAM) + (
            _match_keys(item, policy.moderation_keys, "moderation_key", Action.HOLD)
        )


class BansStage(PerItemStage):
    """Banned email, ip, email or link domain, or name."""

    name = "bans"

    def check(self, item: Item) -> list[Reason]:
        if not item.facts.bans:
            return []
        action = Action(item.policy.ban_action)
        email = (item.author_email or "").casefold()
        email_domain = email.rpartition("@")[2]
        name = item.author_name.strip().casefold()
        link_domains = domains_in(item.body)
        reasons = []
        for ban in item.facts.bans:
            value = ban.value.casefold()
            hit = ""
            if ban.kind == "email" and email and email == value:
                hit = "author email"
            elif ban.kind == "ip" and item.ip_hash and item.ip_hash == ban.value:
                hit = "author address"
            elif ban.kind == "name" and name and name == value:
                hit = "author name"
            elif ban.kind == "domain":
                if email_domain and _in_domain(email_domain, value):
                    hit = "email domain " + email_domain
                else:
                    hit = next((f"link to {d}" for d in link_domains if _in_domain(d, value)), "")
            if hit:
                detail = f"banned {ban.kind}: {hit}" + (f" ({ban.reason})" if ban.reason else "")
                reasons.append(Reason("ban", detail, action))
        return reasons


def _in_domain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


class LinksStage(PerItemStage):
    """Too many links is how most comment spam looks."""

    name = "links"

    def check(self, item: Item) -> list[Reason]:
        limit = item.policy.max_links
        links = find_links(item.body)
        if limit <= 0 or len(links) < limit:
            return []
        spans = tuple(Span(m.start(), m.end()) for m in links)
        return [Reason("links", f"{len(links)} links (limit {limit})", Action.HOLD, spans)]


class SignalsStage(PerItemStage):
    """Honeypot, duplicate body, flood and shouting."""

    name = "signals"

    def check(self, item: Item) -> list[Reason]:
        policy, facts = item.policy, item.facts
        reasons = []
        if item.honeypot:
            reasons.append(Reason("honeypot", "hidden field was filled in", Action.SPAM))
        if facts.duplicates_on_site and len(item.body.strip()) >= policy.duplicate_min_chars:
            reasons.append(
                Reason(
                    "duplicate",
                    f"same text posted {facts.duplicates_on_site} time(s) before on this site",
                    Action.SPAM,
                )
            )
        if facts.recent_by_ip >= policy.flood_max:
            reasons.append(
                Reason(
                    "flood",
                    f"{facts.recent_by_ip} comments from this address "
                    f"in {policy.flood_window_s} s (limit {policy.flood_max})",
                    Action.HOLD,
                )
            )
        letters = [c for c in item.body if c.isalpha()]
        if len(letters) >= policy.all_caps_min_letters:
            upper = sum(1 for c in letters if c.isupper())
            if upper / len(letters) >= 0.9:
                reasons.append(
                    Reason("all_caps", f"{upper} of {len(letters)} letters upper-case", Action.HOLD)
                )
        return reasons


class TrustStage(PerItemStage):
    """Hold authors with no approved comment yet, when the site asks for it."""

    name = "trust"

    def check(self, item: Item) -> list[Reason]:
        if item.policy.hold_first_time and item.facts.approved_by_author == 0:
            return [Reason("first_time", "author has no approved comment yet", Action.HOLD)]
        return []
