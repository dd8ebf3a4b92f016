"""Who hears about an approved comment (DESIGN.md §6).

- `replies` subscribers whose approved comment is an ancestor of the new one,
  at any depth, get the reply template;
- `thread` subscribers of the thread get the thread template, unless they
  already get the reply one (one email per recipient per comment);
- never the comment's own author, never a suppressed address (the store
  leaves those out), never an unconfirmed subscription;
- the author, when a moderator approved their held comment and the site's
  policy says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from commentsvc.models import Comment, Status, SubscriptionKind
from commentsvc.policy import Policy
from commentsvc.store import Store
from commentsvc.store.deliveries import APPROVED, REPLY, THREAD, Planned
from commentsvc.store.records import EventRecord
from commentsvc.store.subscriptions import canonical_email

# A moderator deciding on these is "approving a held comment".
HELD = (Status.PENDING.value, Status.SPAM.value)
# Audit actors that are not a moderator.
NOT_MODERATORS = ("system", "author", "readers")


async def subscribers(store: Store, comment: Comment) -> list[Planned]:
    """One planned email per subscriber who should hear about `comment`."""
    author = canonical_email(comment.author_email) if comment.author_email else None
    chosen: dict[str, Planned] = {}
    if comment.parent_id is not None:
        chain = await store.comments.chain_up(comment.parent_id)
        above = {
            canonical_email(email)
            for _, email, status in chain
            if email and status == Status.APPROVED.value
        }
        above.discard(author or "")
        if above:
            for sub_id, email in await store.subscriptions.confirmed(
                comment.thread_id, SubscriptionKind.REPLIES, sorted(above)
            ):
                chosen.setdefault(email, Planned(email, REPLY, sub_id))
    for sub_id, email in await store.subscriptions.confirmed(
        comment.thread_id, SubscriptionKind.THREAD
    ):
        chosen.setdefault(email, Planned(email, THREAD, sub_id))
    if author is not None:
        chosen.pop(author, None)
    return list(chosen.values())


def approved_by_moderator(events: Sequence[EventRecord]) -> bool:
    """True if the comment's first approval was a moderator releasing it from review."""
    for event in events:
        if event.to_status == Status.APPROVED.value:
            return event.from_status in HELD and event.actor not in NOT_MODERATORS
    return False


async def author_note(
    store: Store, comment: Comment, policy: Policy, events: Sequence[EventRecord]
) -> Planned | None:
    """The email telling an author a moderator published their comment, if one is due."""
    if not policy.notify_author_on_approval or not comment.author_email:
        return None
    if not approved_by_moderator(events):
        return None
    email = canonical_email(comment.author_email)
    if await store.subscriptions.is_suppressed(email):
        return None
    return Planned(email, APPROVED, None, throttled=False)
