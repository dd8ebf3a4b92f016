"""What one import transaction holds, and which of it is new: the part of a batch write that
is the same on every database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(slots=True)
class ThreadSpec:
    key: str
    url: str = ""
    title: str = ""
    closed: bool = False
    created_at: Any = None


@dataclass(slots=True)
class Batch:
    """One transaction's worth of an import. Rows carry `_thread` (a key) for thread_id."""

    site_id: str
    threads: list[ThreadSpec]
    comments: list[dict[str, Any]]
    # Rows that belong to a comment (events, votes, flags): written only with a new comment.
    extras: dict[str, list[tuple[sa.Table, dict[str, Any]]]]
    subscriptions: list[dict[str, Any]]


@dataclass(slots=True)
class BatchResult:
    inserted: int
    present: int
    inserted_ids: set[str]


@dataclass(slots=True)
class Plan:
    """A batch less what the database holds already, in the order to write it."""

    comments: list[dict[str, Any]]
    extras: list[tuple[sa.Table, list[dict[str, Any]]]]
    subscriptions: list[dict[str, Any]]
    touched: list[int]  # threads whose counts to take again, in id order
    present: int

    def result(self) -> BatchResult:
        return BatchResult(len(self.comments), self.present, {r["id"] for r in self.comments})


def plan(batch: Batch, present: set[str], thread_ids: dict[tuple[str, str], int]) -> Plan:
    """The new comments (parents first: the foreign key is checked per row; then in id
    order: the primary key's b-tree is filled from one side), their extras by table, the
    subscriptions of threads that exist, and every thread the batch touches."""
    site_id = batch.site_id
    new_rows = []
    touched: set[int] = set()
    for row in batch.comments:
        touched.add(thread_ids[(site_id, row["_thread"])])
        if row["id"] not in present:
            new_rows.append(row)
    new_rows.sort(key=lambda r: (r.get("depth") or 0, r["id"]))
    by_table: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
    extras = batch.extras
    for row in new_rows:
        for table, values in extras.get(row["id"], ()):
            by_table.setdefault(table.name, (table, []))[1].append(values)
    subs = []
    for sub in batch.subscriptions:
        sub_thread = thread_ids.get((site_id, sub["_thread"]))
        if sub_thread is not None:
            subs.append(
                {
                    **{k: v for k, v in sub.items() if k != "_thread"},
                    "thread_id": sub_thread,
                    "site_id": site_id,
                }
            )
    return Plan(new_rows, list(by_table.values()), subs, sorted(touched), len(present))
