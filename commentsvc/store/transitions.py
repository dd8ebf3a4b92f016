"""Compare-and-set transitions (DESIGN §4): a comment's status changes only from one of
the states its `Transition` names, with its audit event, the thread's counts and
version, all in the caller's transaction. `CommentStore.transition_many` runs them
in their own; the desk and data rights run them inside theirs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from commentsvc.clock import now_utc
from commentsvc.models import Comment, Kind, Status
from commentsvc.store.records import Transition, TransitionResult, comment_from_row, thread_from_row
from commentsvc.store.tables import comments, events, threads

VISIBLE = (Status.APPROVED.value, Status.DELETED.value)
"""What a thread page shows: approved comments, and deleted ones as placeholders."""

_REPLY = comments.alias("reply")


class _PendingUpdates:
    """Comment updates gathered to run as one executemany per shape of SET clause.

    Safe because the rows were read under a lock: each update's compare-and-set
    condition was checked on that read and still holds.
    """

    def __init__(self) -> None:
        self._groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._ids: set[str] = set()

    async def add(
        self, conn: AsyncConnection, comment_id: str, version: int, values: dict[str, Any]
    ) -> None:
        if comment_id in self._ids:  # a second change to one comment: apply the first now
            await self.flush(conn)
        self._ids.add(comment_id)
        shape = tuple(sorted(values))
        self._groups.setdefault(shape, []).append(
            {**values, "_id": comment_id, "_old_version": version}
        )

    async def flush(self, conn: AsyncConnection) -> None:
        for shape, params in self._groups.items():
            stmt = (
                comments.update()
                .where(
                    comments.c.id == sa.bindparam("_id"),
                    comments.c.version == sa.bindparam("_old_version"),
                )
                .values({key: sa.bindparam(key) for key in shape})
            )
            await conn.execute(stmt, params)
        self._groups.clear()
        self._ids.clear()


_COMMENT_FIELDS = {f.name for f in dataclasses.fields(Comment)}


async def apply_transitions(
    conn: AsyncConnection, ts: Sequence[Transition]
) -> list[TransitionResult | None]:
    ids = list({t.comment_id for t in ts})
    # Lock the rows for the whole transaction (SQLite holds its write lock already),
    # so what is read here stays true until commit and the updates can be batched.
    query = sa.select(comments).where(comments.c.id.in_(ids)).with_for_update()
    rows = (await conn.execute(query)).mappings().all()
    current = {r["id"]: comment_from_row(r) for r in rows}
    now = now_utc()
    done: list[tuple[Comment, Comment, bool, Transition] | None] = []
    event_rows: list[dict[str, Any]] = []
    deltas: dict[int, list[int]] = {}  # thread id → [count delta, feedback delta, touched]
    pending = _PendingUpdates()
    for t in ts:
        before = current.get(t.comment_id)
        if (
            before is None
            or before.status not in t.from_statuses
            or (t.expected_version is not None and before.version != t.expected_version)
        ):
            done.append(None)
            continue
        first_approval = t.to_status is Status.APPROVED and before.first_approved_at is None
        values: dict[str, Any] = {"status": t.to_status.value, "version": before.version + 1}
        values.update(t.changes)
        if first_approval:
            values["first_approved_at"] = now
        if t.require_no_replies:
            await pending.flush(conn)
            update = (
                comments.update()
                .where(
                    comments.c.id == t.comment_id,
                    comments.c.version == before.version,
                    ~sa.exists().where(_REPLY.c.parent_id == t.comment_id),
                )
                .values(**values)
            )
            if (await conn.execute(update)).rowcount != 1:
                done.append(None)
                continue
        else:
            await pending.add(conn, t.comment_id, before.version, values)
        after = dataclasses.replace(
            before,
            status=t.to_status,
            **{k: v for k, v in values.items() if k in _COMMENT_FIELDS and k != "status"},
        )
        current[t.comment_id] = after  # a later transition in this batch starts from here
        event_rows.append(
            {
                "comment_id": t.comment_id,
                "actor": t.actor,
                "action": t.action,
                "from_status": before.status.value,
                "to_status": t.to_status.value,
                "note": t.note,
                "at": now,
            }
        )
        delta = deltas.setdefault(before.thread_id, [0, 0, 0])
        moved = int(t.to_status is Status.APPROVED) - int(before.status is Status.APPROVED)
        delta[0] += moved
        if before.kind is Kind.FEEDBACK:
            delta[1] += moved
        if moved or before.status.value in VISIBLE or t.to_status.value in VISIBLE:
            delta[2] = 1
        done.append((before, after, first_approval, t))
    await pending.flush(conn)
    if event_rows:
        await conn.execute(events.insert(), event_rows)
    for thread_id, (count, feedback, touched) in deltas.items():
        changes: dict[str, Any] = {}
        if count:
            changes["count"] = threads.c.count + count
        if feedback:
            changes["feedback_count"] = threads.c.feedback_count + feedback
        if touched:
            changes["version"] = threads.c.version + 1
        if changes:
            await conn.execute(threads.update().where(threads.c.id == thread_id).values(**changes))
    thread_rows = (
        (await conn.execute(sa.select(threads).where(threads.c.id.in_(list(deltas)))))
        .mappings()
        .all()
        if deltas
        else []
    )
    by_id = {r["id"]: thread_from_row(r) for r in thread_rows}
    return [
        None
        if item is None
        else TransitionResult(
            comment=item[1],
            from_status=item[0].status,
            first_approval=item[2],
            thread=by_id[item[0].thread_id],
        )
        for item in done
    ]
