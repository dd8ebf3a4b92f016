"""The checks of a claimed row just before it is sent: is the address suppressed, does
its subscription still exist (the same one) and is it confirmed, is its comment still
public? A row whose comment is held again waits (up to a week) instead of being
dropped; the notifier looks at it again every few minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from commentsvc.models import Site, Status
from commentsvc.notify.messages import Batch
from commentsvc.store import Store
from commentsvc.store.deliveries import APPROVED, CONFIRM, REPLY, THREAD, Delivery, Template
from commentsvc.store.subscriptions import Subscription
from commentsvc.validation import is_plain_int

HELD_WAIT_MAX = timedelta(days=7)
HELD_AGAIN = (Status.PENDING, Status.RECEIVED)
DROP, WAIT = "drop", "wait"
CORRECTION_CONFIRM, CORRECTED = Template.CORRECTION_CONFIRM, Template.CORRECTED
REPORTERS = (CORRECTION_CONFIRM, CORRECTED)


def is_theirs(sub: Subscription | None, row: Delivery) -> bool:
    """The row's subscription still exists and is the one the row was written for (an id
    alone is not enough: a deleted subscription's id must never stand for another's)."""
    return (
        sub is not None
        and sub.email.casefold() == row.recipient.casefold()
        and (row.thread_id is None or sub.thread_id == row.thread_id)
    )


async def read_batch(store: Store, rows: Sequence[Delivery]) -> Batch:
    """Everything a claimed batch's checks and emails read, read once: comments (and
    their parents), subscriptions, suppressed addresses, threads and sites."""
    batch = Batch()
    comment_ids = {r.comment_id for r in rows if r.comment_id}
    for r in rows:
        comment_ids.update(str(i) for i in r.data.get("comment_ids", ()))
    found = await store.comments.get_many(sorted(comment_ids))
    parents = {c.parent_id for c in found if c.parent_id} - comment_ids
    found += await store.comments.get_many(sorted(parents))
    batch.comments = {c.id: c for c in found}
    sub_ids = [r.subscription_id for r in rows if r.subscription_id is not None]
    batch.subscriptions = await store.subscriptions.get_many(sub_ids)
    batch.suppressed = await store.subscriptions.suppressed_among(r.recipient for r in rows)
    for r in rows:
        if r.template in REPORTERS and is_plain_int(str(r.data.get("correction", ""))):
            report = await store.corrections.get(int(r.data["correction"]))
            if report is not None:
                batch.corrections[report.id] = report
    thread_ids = {c.thread_id for c in found} | {s.thread_id for s in batch.subscriptions.values()}
    thread_ids |= {c.thread_id for c in batch.corrections.values()}
    for thread_id in thread_ids:
        thread = await store.threads.get_by_id(thread_id)
        if thread is not None:
            batch.threads[thread_id] = thread
    site_ids = {t.site_id for t in batch.threads.values()} | {"default"}
    site_ids |= {str(r.data["site"]) for r in rows if r.data.get("site")}  # `mine` rows
    for site_id in site_ids:
        site = await store.sites.get(site_id)
        batch.sites[site_id] = site or Site(site_id, site_id, ())
    return batch


def verdict(row: Delivery, batch: Batch, now: datetime) -> tuple[str, str] | None:
    """None if this row should go out now; else ("drop" or "wait", why)."""
    if row.recipient in batch.suppressed:
        return DROP, "the address is suppressed"
    sub = batch.subscriptions.get(row.subscription_id or 0)
    if row.template in (THREAD, REPLY, CONFIRM) and not is_theirs(sub, row):
        return DROP, "the subscription ended"
    if row.template == CONFIRM and sub is not None and sub.confirmed:
        return DROP, "the subscription was confirmed already"
    if row.template in REPORTERS:
        return _reporter_verdict(row, batch)
    if row.template in (THREAD, REPLY, APPROVED):
        if row.template != APPROVED and sub is not None and not sub.confirmed:
            return DROP, "the subscription is not confirmed"
        comment = batch.comments.get(row.comment_id or "")
        if comment is None or comment.status is Status.APPROVED:
            return None if comment else (DROP, "the comment is gone")
        if comment.status in HELD_AGAIN and now - row.created_at < HELD_WAIT_MAX:
            return WAIT, "the comment is held for review again"
        return DROP, "the comment is no longer public"
    return None


def _reporter_verdict(row: Delivery, batch: Batch) -> tuple[str, str] | None:
    """A reporter's mail goes only while the report still holds this address; "corrected"
    only once it is confirmed, a confirmation only while it is not."""
    report = batch.corrections.get(int(row.data.get("correction", 0) or 0))
    if report is None or (report.reporter_email or "").casefold() != row.recipient.casefold():
        return DROP, "the report is gone or no longer holds this address"
    confirmed = report.email_confirmed_at is not None
    if row.template == CORRECTED and not confirmed:
        return DROP, "the reporter's address is not confirmed"
    if row.template == CORRECTION_CONFIRM and confirmed:
        return DROP, "the reporter's address was confirmed already"
    return None
