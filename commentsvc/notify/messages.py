"""Every email the notifier sends, built one way, keyed by template.

Each template has a *draft*: the site and thread it is about, its unsubscribe
link, what it adds to the common context, its Message-ID and References. One
function then renders the draft from the catalogue (`compose.Composer.render`)
and wraps it as a message (`Composer.message`). The builder reads nothing: the
notifier hands it the `Batch` it read once for a claimed batch of rows.

It lives beside `compose.py` (headers, MIME parts, the template contexts)
rather than inside it: that module is about how an email is written, this one
about which email a delivery row becomes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from commentsvc.corrections import links as correction_links
from commentsvc.corrections.links import CONFIRM, STOP
from commentsvc.models import Comment, Site, Status, Thread
from commentsvc.notify import mine
from commentsvc.notify.compose import Composer, excerpt, html_to_text
from commentsvc.notify.tokens import CONFIRM_TTL_S, Tokens
from commentsvc.policy import policy_of
from commentsvc.store.corrections import Correction
from commentsvc.store.deliveries import Delivery, Template
from commentsvc.store.subscriptions import Subscription
from commentsvc.webhooks import alert as webhook_alert

if TYPE_CHECKING:
    from commentsvc.notify.lease import Lease

Clock = Callable[[], datetime]
DIGEST = "digest"
"""The catalogue template of a digest (its rows keep the template they were written with)."""


@dataclass
class Batch:
    """What one claimed batch needs, read once."""

    comments: dict[str, Comment] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)
    threads: dict[int, Thread] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    corrections: dict[int, Correction] = field(default_factory=dict)  # reporters' mail
    lease: Lease | None = None
    turns: dict[str, asyncio.Lock] = field(default_factory=dict)

    def turn_of(self, recipient: str) -> asyncio.Lock:
        return self.turns.setdefault(recipient, asyncio.Lock())

    def site_of(self, row: Delivery) -> Site:
        """The site a row names in its data (moderators' and admins' mail), else the default."""
        return self.sites.get(str(row.data.get("site", "")), self.sites["default"])


@dataclass(frozen=True, slots=True)
class Draft:
    site: Site
    thread: Thread | None
    unsubscribe_url: str
    template: str
    message_id: str
    additions: Callable[[dict[str, Any]], dict[str, Any]]
    """What the template adds to the common context (it may read the context's thread)."""
    references: list[str] = field(default_factory=list)


class Messages:
    """Turns claimed delivery rows into the bytes of one email."""

    def __init__(
        self,
        composer: Composer,
        tokens: Tokens,
        person_links: mine.PersonLinks,
        public_url: str,
        clock: Clock,
        moderator_alert_interval_s: int,
    ) -> None:
        self.composer = composer
        self.tokens = tokens
        self.person_links = person_links
        self.public_url = public_url
        self.clock = clock
        self.moderator_alert_interval_s = moderator_alert_interval_s
        self._drafts: dict[str, Callable[[list[Delivery], Batch], Draft]] = {
            DIGEST: self._digest,
            Template.THREAD: self._comment,
            Template.REPLY: self._comment,
            Template.APPROVED: self._approved,
            Template.CONFIRM: self._confirm,
            Template.MODERATORS: self._moderators,
            Template.MINE: self._mine,
            Template.CORRECTION_CONFIRM: self._correction,
            Template.CORRECTED: self._correction,
        }

    def build(self, rows: list[Delivery], batch: Batch) -> bytes:
        """The email for `rows` (one row, or a digest's rows)."""
        first = rows[0]
        if first.template == Template.WEBHOOK_DISABLED:  # an admin's alert: the site's language
            unsubscribe = self._unsubscribe_row(first)
            return webhook_alert.compose(
                self.composer, first, batch.site_of(first), unsubscribe, self.clock()
            )
        key = DIGEST if first.digest_group else first.template
        drafter = self._drafts.get(key)
        if drafter is None:
            raise ValueError(f"unknown template {first.template!r}")
        draft = drafter(rows, batch)
        context = self.composer.base_context(draft.site, draft.thread, draft.unsubscribe_url)
        context.update(draft.additions(context))
        return self.composer.message(
            site=draft.site,
            recipient=first.recipient,
            rendered=self.composer.render(
                draft.site.id, draft.template, context, self._language(first, draft, batch)
            ),
            message_id=draft.message_id,
            unsubscribe_url=draft.unsubscribe_url,
            now=self.clock(),
            references=draft.references,
        )

    def _language(self, row: Delivery, draft: Draft, batch: Batch) -> str:
        """The reader's language when their subscription (or report) has one, else the
        site's default."""
        sub = batch.subscriptions.get(row.subscription_id or 0)
        if sub is not None and sub.lang:
            return sub.lang
        report = batch.corrections.get(int(row.data.get("correction", 0) or 0))
        if report is not None and report.lang:
            return report.lang
        return self.composer.catalogues.site_default(draft.site.id)

    # ----- the drafts, one per template -------------------------------------------------

    def _comment(self, rows: list[Delivery], batch: Batch) -> Draft:
        row = rows[0]
        comment = batch.comments[row.comment_id or ""]
        site, thread = self._where(comment, batch)
        parent = batch.comments.get(comment.parent_id or "")

        def extra(context: dict[str, Any]) -> dict[str, Any]:
            shown = {"mine": False, "author_name": "", "excerpt": ""}
            if parent is not None and parent.status is Status.APPROVED:
                shown = {
                    "mine": (parent.author_email or "").lower() == row.recipient,
                    "author_name": parent.author_name,
                    "excerpt": excerpt(html_to_text(parent.body_html), 200),
                }
            return {"comment": self._comment_context(comment, context), "parent": shown}

        return Draft(
            site,
            thread,
            self._unsubscribe_sub(batch.subscriptions[row.subscription_id or 0]),
            row.template,
            self.composer.comment_message_id(comment.id, row.recipient),
            extra,
            self._references(comment, row.recipient),
        )

    def _digest(self, rows: list[Delivery], batch: Batch) -> Draft:
        first = rows[0]
        comments = sorted((batch.comments[r.comment_id or ""] for r in rows), key=lambda c: c.id)
        site, thread = self._where(comments[0], batch)
        subs = [batch.subscriptions[r.subscription_id] for r in rows if r.subscription_id]
        window_minutes = max(1, round(policy_of(site).digest_window_s / 60))
        return Draft(
            site,
            thread,
            self._unsubscribe_sub(subs[0]),
            DIGEST,
            self.composer.other_message_id(DIGEST, first.digest_group or "", first.recipient),
            lambda context: {
                "comments": [self._comment_context(c, context) for c in comments],
                "window_minutes": window_minutes,
            },
            [self.composer.thread_message_id(thread.id, first.recipient)],
        )

    def _approved(self, rows: list[Delivery], batch: Batch) -> Draft:
        row = rows[0]
        comment = batch.comments[row.comment_id or ""]
        site, thread = self._where(comment, batch)
        return Draft(
            site,
            thread,
            self._unsubscribe_row(row),
            Template.APPROVED,
            self.composer.other_message_id("approved", comment.id, row.recipient),
            lambda context: {"comment": self._comment_context(comment, context)},
            [self.composer.thread_message_id(thread.id, row.recipient)],
        )

    def _confirm(self, rows: list[Delivery], batch: Batch) -> Draft:
        row = rows[0]
        sub = batch.subscriptions[row.subscription_id or 0]
        thread = batch.threads[sub.thread_id]
        confirm_url = self._url("/s/" + self.tokens.confirm(sub))
        return Draft(
            batch.sites[thread.site_id],
            thread,
            self._unsubscribe_sub(sub),
            Template.CONFIRM,
            self.composer.other_message_id("confirm", str(row.id), row.recipient),
            lambda context: {
                "kind": sub.kind.value,
                "confirm_url": confirm_url,
                "expires_days": CONFIRM_TTL_S // 86_400,
            },
        )

    def _moderators(self, rows: list[Delivery], batch: Batch) -> Draft:
        row = rows[0]
        listed = [
            batch.comments[str(i)]
            for i in row.data.get("comment_ids", ())
            if str(i) in batch.comments
        ]
        site = batch.sites[listed[0].site_id] if listed else batch.sites["default"]
        items = [
            {
                "author_name": c.author_name,
                "site": c.site_id,
                "thread_title": _title(batch.threads.get(c.thread_id)),
                "excerpt": excerpt(html_to_text(c.body_html), 160),
            }
            for c in listed
        ]
        return Draft(
            site,
            None,
            self._unsubscribe_row(row),
            Template.MODERATORS,
            self.composer.other_message_id("pending", str(row.id), row.recipient),
            lambda context: {
                "items": items,
                "total": max(int(row.data.get("total", 0)), len(listed)),
                "moderate_url": self._url("/moderate"),
                "interval_minutes": max(1, self.moderator_alert_interval_s // 60),
            },
        )

    def _mine(self, rows: list[Delivery], batch: Batch) -> Draft:
        row = rows[0]
        return Draft(
            batch.site_of(row),
            None,
            self._unsubscribe_row(row),
            Template.MINE,
            self.composer.other_message_id(Template.MINE, str(row.id), row.recipient),
            lambda context: mine.context(self.composer, self.person_links, row),
        )

    def _correction(self, rows: list[Delivery], batch: Batch) -> Draft:
        """A reporter's mail: confirm the address, or "your report led to a correction"."""
        row = rows[0]
        report = batch.corrections[int(row.data["correction"])]
        keys = self.tokens.keys

        def additions(context: dict[str, Any]) -> dict[str, Any]:
            if row.template == Template.CORRECTION_CONFIRM:
                return {
                    "confirm_url": correction_links.link(keys, self.public_url, CONFIRM, report)
                }
            quote = report.anchor.quote or report.anchor.block
            return {"quote": quote, "public_note": report.public_note}

        return Draft(
            batch.site_of(row),
            batch.threads.get(report.thread_id),
            correction_links.link(keys, self.public_url, STOP, report),
            row.template,
            self.composer.other_message_id(row.template, str(report.id), row.recipient),
            additions,
        )

    # ----- shared pieces ------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.public_url}{path}"

    def _unsubscribe_sub(self, sub: Subscription) -> str:
        return self._url("/u/" + self.tokens.unsubscribe(sub))

    def _unsubscribe_row(self, row: Delivery) -> str:
        return self._url("/u/" + self.tokens.unsubscribe_delivery(row.id, row.recipient))

    def _comment_context(self, comment: Comment, context: dict[str, Any]) -> dict[str, Any]:
        return self.composer.comment_context(comment, context["thread"]["url"])

    @staticmethod
    def _where(comment: Comment, batch: Batch) -> tuple[Site, Thread]:
        return batch.sites[comment.site_id], batch.threads[comment.thread_id]

    def _references(self, comment: Comment, recipient: str) -> list[str]:
        c = self.composer
        refs = [c.thread_message_id(comment.thread_id, recipient)]
        if comment.parent_id is not None:
            if comment.root_id not in (comment.parent_id, comment.id):
                refs.append(c.comment_message_id(comment.root_id, recipient))
            refs.append(c.comment_message_id(comment.parent_id, recipient))
        return refs


def _title(thread: Thread | None) -> str:
    return (thread.title or thread.key) if thread else ""
