"""The notifier: fan approved comments out into deliveries, then send whatever is due.

Two halves, both idempotent:

- `handle` (the notify stream's batch handler) turns a comment's first
  approval into `deliveries` rows and marks the comment notified, in one
  transaction. A redelivered job finds the comment notified and writes nothing.
- `send_due` claims due rows under a lease, re-checks each (still subscribed?
  comment still public? address not suppressed?), composes and sends it, and
  records the outcome at once (group commit): sent; queued again with backoff
  and jitter after a transient failure; failed (and the address suppressed)
  after a permanent one. A crash between the server's "250" and that record
  can repeat an email, never lose one. A batch that outlives half its lease
  renews it (compare-and-set on the lease it took) before each further send,
  and drops rows another notifier has taken since, so a slow relay never makes
  two notifiers send the same row.
- A row whose comment is held again (an edit, reader flags) waits and is
  looked at again every few minutes; it goes out if the comment is approved
  again, and is dropped if it is rejected or stays held for a week.

Which email a row becomes is `messages.py`; the checks of a claimed row before
it is sent (still subscribed? comment still public? held again?) are
`rechecks.py`; the lease on a claimed batch is `lease.py`; alerts to moderators
and the sweep of unconfirmed subscriptions are `housekeeping.py`. What remains
here is fan-out, the lease's use and the send loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta

import redis.asyncio as aioredis

from commentsvc import ids
from commentsvc.clock import now_utc
from commentsvc.comments.batching import Batcher
from commentsvc.config import Settings
from commentsvc.models import Status
from commentsvc.notify import mine, recipients
from commentsvc.notify.compose import Composer
from commentsvc.notify.housekeeping import Housekeeping
from commentsvc.notify.lease import Lease
from commentsvc.notify.messages import Batch, Messages
from commentsvc.notify.rechecks import DROP, HELD_AGAIN, read_batch, verdict
from commentsvc.notify.sender import Destination, PermanentError, TransientError
from commentsvc.notify.tokens import Tokens
from commentsvc.policy import policy_of
from commentsvc.queue.constants import STATS_EMAILS
from commentsvc.queue.entries import Job
from commentsvc.queue.jobs import by_comment as jobs_by_comment
from commentsvc.review import stats
from commentsvc.security import Keys
from commentsvc.store import Store
from commentsvc.store.deliveries import (
    FAILED,
    QUEUED,
    SENT,
    SUPPRESSED,
    Delivery,
    Outcome,
)

log = logging.getLogger(__name__)

# About 1 min, 5 min, 30 min, 2 h, 6 h; after the last retry fails, the row is `failed`.
DEFAULT_RETRY_SCHEDULE_S: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0, 21600.0)
RETRY_JITTER = 0.2
MODERATOR_ALERT_INTERVAL_S = 600
CLAIM_BATCH = 200
POLL_INTERVAL_S = 1.0
HOUSEKEEPING_INTERVAL_S = 30.0
ERROR_BACKOFF_MAX_S = 30.0
HELD_RECHECK_S = 300.0

Clock = Callable[[], datetime]


class Notifier:
    """Fans out, sends, retries, digests, alerts. See the module docstring."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: Keys,
        redis: aioredis.Redis,
        destination: Destination,
        *,
        retry_schedule_s: Sequence[float] = DEFAULT_RETRY_SCHEDULE_S,
        clock: Clock = now_utc,
        moderator_alert_interval_s: int = MODERATOR_ALERT_INTERVAL_S,
        claim_batch: int = CLAIM_BATCH,
        lease_s: float | None = None,
        poll_interval_s: float = POLL_INTERVAL_S,
        housekeeping_interval_s: float = HOUSEKEEPING_INTERVAL_S,
    ) -> None:
        self.settings = settings
        self.store = store
        self.redis = redis
        self.destination = destination
        self.retry_schedule_s = tuple(retry_schedule_s)
        self.clock = clock
        self.moderator_alert_interval_s = moderator_alert_interval_s
        self.claim_batch = claim_batch
        # A claimed row is not claimed again for this long: the same rule as the job queue's.
        self.lease_s = lease_s if lease_s is not None else settings.queue_idle_timeout_ms / 1000
        self.poll_interval_s = poll_interval_s
        self.housekeeping_interval_s = housekeeping_interval_s
        self.messages = Messages(
            Composer(settings),
            Tokens(keys),
            mine.PersonLinks(keys),
            settings.resolved_public_url,
            clock,
            moderator_alert_interval_s,
        )
        self.chores = Housekeeping(store, redis, clock, moderator_alert_interval_s)
        self._settler: Batcher[Outcome] = Batcher(self._settle, max_batch=256)
        self._sending = asyncio.Semaphore(destination.concurrency)
        self._outcomes: Counter[str] = Counter()
        self._wake = asyncio.Event()

    # ----- fan-out -----------------------------------------------------------------

    async def handle(self, jobs: Sequence[Job]) -> Collection[str]:
        """The notify stream's handler: fan out each comment; return the finished job ids."""
        by_comment, done = jobs_by_comment(jobs)
        quiet = await self._nobody_to_tell(list(by_comment))
        if quiet:
            await self.store.comments.mark_notified_many(quiet)
            for comment_id in quiet:
                done.update(by_comment.pop(comment_id))
        for comment_id, job_ids in by_comment.items():
            try:
                await self.fan_out(comment_id)
            except Exception:
                log.exception("fanning out comment %s failed; the job will be retried", comment_id)
                continue
            done.update(job_ids)
        self._wake.set()
        return done

    async def _nobody_to_tell(self, comment_ids: list[str]) -> list[str]:
        """Approved comments that notify nobody: in a thread without a single confirmed
        subscription, and approved without a moderator (so no author note). Most
        comments on a busy site are like this; a batch of them costs three queries."""
        found = await self.store.comments.get_many([c for c in comment_ids if ids.looks_like_id(c)])
        candidates = [
            c
            for c in found
            if c.status is Status.APPROVED
            and c.first_approved_at is not None
            and c.notified_at is None
        ]
        if not candidates:
            return []
        watched = await self.store.subscriptions.threads_with_confirmed(
            c.thread_id for c in candidates
        )
        unwatched = [c.id for c in candidates if c.thread_id not in watched]
        trails = await self.store.comments.events_many(unwatched)
        return [c for c in unwatched if not recipients.approved_by_moderator(trails[c])]

    async def fan_out(self, comment_id: str) -> int:
        """Write the deliveries an approved comment causes; 0 if done before or not approved."""
        comment = (
            await self.store.comments.get(comment_id) if ids.looks_like_id(comment_id) else None
        )
        if comment is None or comment.first_approved_at is None or comment.notified_at:
            return 0
        if comment.status in HELD_AGAIN:
            # Held again before we got here: left unnotified, so the sweeper rings
            # again once a moderator approves it (rejected or deleted ones end here).
            return 0
        site = await self.store.sites.get(comment.site_id)
        policy = policy_of(site)
        planned = []
        if comment.status is Status.APPROVED:  # not taken back before we got here
            planned = await recipients.subscribers(self.store, comment)
            events = await self.store.comments.events(comment.id)
            note = await recipients.author_note(self.store, comment, policy, events)
            if note is not None:
                planned.append(note)
        written = await self.store.deliveries.fan_out(
            comment.id, comment.thread_id, planned, policy.digest_window_s, self.clock()
        )
        if written:
            log.info("comment %s: %d email(s) queued", comment.id, written)
        return written

    # ----- sending -----------------------------------------------------------------

    async def send_due(self) -> int:
        """Claim one batch of due rows and send them; returns how many rows were settled."""
        claimed = await self.store.deliveries.claim_due(
            self.clock(), self.claim_batch, self.lease_s
        )
        if not claimed:
            return 0
        units: dict[tuple[str, str], list[Delivery]] = {}
        for row in claimed:
            key = (row.recipient, row.digest_group) if row.digest_group else ("", str(row.id))
            units.setdefault(key, []).append(row)
        batch = await read_batch(self.store, claimed)
        batch.lease = Lease(self.store, claimed, self.lease_s, self.clock)
        results = await asyncio.gather(
            *(self._deliver(rows, batch) for rows in units.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                log.error("recording a delivery failed: %s", result)
        await self._report()
        return len(claimed)

    async def drain_due(self) -> int:
        """Send until nothing is due now (burst mode)."""
        total = 0
        while True:
            settled = await self.send_due()
            if not settled:
                return total
            total += settled

    async def _deliver(self, rows: list[Delivery], batch: Batch) -> None:
        """Send one email (a row, or a digest group's rows) and record what happened."""
        keep: list[Delivery] = []
        put_aside: dict[tuple[str, str], list[int]] = {}
        for row in rows:
            answer = verdict(row, batch, self.clock())
            if answer is None:
                keep.append(row)
            else:
                put_aside.setdefault(answer, []).append(row.id)
        recheck_at = self.clock() + timedelta(seconds=HELD_RECHECK_S)
        outcomes = [
            Outcome(tuple(i), SUPPRESSED, error=why)
            if kind == DROP
            else Outcome(tuple(i), QUEUED, error=why, retry_at=recheck_at, waited=True)
            for (kind, why), i in put_aside.items()
        ]
        if keep:
            recipient = keep[0].recipient
            # One email at a time to an address, so a permanent bounce stops the rest;
            # then wait for a free connection, and only then check the lease.
            async with batch.turn_of(recipient), self._sending:
                if recipient in batch.suppressed:
                    outcomes.append(
                        Outcome(tuple(r.id for r in keep), SUPPRESSED, "the address bounced")
                    )
                elif batch.lease is None or await batch.lease.hold(keep):
                    outcomes.append(await self._send(keep, batch))
                else:
                    log.info("rows %s: taken by another notifier meanwhile", keep[0].id)
        for outcome in outcomes:
            await self._settler.submit(outcome)

    async def _send(self, rows: list[Delivery], batch: Batch) -> Outcome:
        row_ids = tuple(r.id for r in rows)
        recipient = rows[0].recipient
        try:
            message = self.messages.build(rows, batch)
        except Exception as exc:
            log.exception("composing delivery %s failed", row_ids[0])
            return self._retry_or_fail(rows, f"compose: {type(exc).__name__}: {exc}")
        try:
            await self.destination.send(message, recipient)
        except TransientError as exc:
            return self._retry_or_fail(rows, str(exc))
        except PermanentError as exc:
            log.warning("delivery %s failed for good: %s", row_ids[0], exc)
            if exc.bounced:  # the rest of this batch to that address is dropped at once
                batch.suppressed.add(recipient)
            return Outcome(row_ids, FAILED, str(exc), suppress=recipient if exc.bounced else None)
        return Outcome(row_ids, SENT)

    def _retry_or_fail(self, rows: Sequence[Delivery], error: str) -> Outcome:
        attempts = max(r.attempts for r in rows)
        row_ids = tuple(r.id for r in rows)
        if attempts > len(self.retry_schedule_s):
            return Outcome(row_ids, FAILED, f"gave up after {attempts} attempts: {error}")
        delay_s = self.retry_schedule_s[attempts - 1] * random.uniform(
            1 - RETRY_JITTER, 1 + RETRY_JITTER
        )
        return Outcome(row_ids, QUEUED, error, retry_at=self.clock() + timedelta(seconds=delay_s))

    async def _settle(self, outcomes: list[Outcome]) -> None:
        await self.store.deliveries.settle(outcomes, self.clock())
        for o in outcomes:
            name = "bounced" if o.suppress else ("retried" if o.status == QUEUED else o.status)
            self._outcomes[name] += 1

    async def _report(self) -> None:
        """Add this process's outcome counts to the shared ones /metrics shows."""
        counts, self._outcomes = self._outcomes, Counter()
        for name, n in counts.items():
            await stats.count(self.redis, STATS_EMAILS, [name], by=n)

    # ----- housekeeping --------------------------------------------------------------

    async def housekeeping(self) -> None:
        """Moderator alerts, and the sweep of unconfirmed subscriptions (`housekeeping.py`)."""
        if await self.chores.run():
            self._wake.set()

    # ----- the loop ------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        """Send due rows and keep house until `stop` is set; returns rows settled."""
        settled = 0
        housekeeping_at = 0.0
        failures = 0
        while not stop.is_set():
            self._wake.clear()
            try:
                if time.monotonic() >= housekeeping_at:
                    housekeeping_at = time.monotonic() + self.housekeeping_interval_s
                    await self.housekeeping()
                done = await self.send_due()
                failures = 0
            except Exception:
                failures += 1
                log.exception("notifier pass failed")
                await _wait(stop, None, min(ERROR_BACKOFF_MAX_S, 2.0**failures * 0.1))
                continue
            settled += done
            if not done:
                await _wait(stop, self._wake, self.poll_interval_s)
        await self._settler.drain()
        return settled


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, timeout_s: float) -> None:
    """Until `stop` (or `wake`) is set, at most `timeout_s`."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
