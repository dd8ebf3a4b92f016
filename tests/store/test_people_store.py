"""PeopleStore, once per backend: everything under an address in any case, and one-transaction
erasure through the transition path."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from commentsvc.clock import now_utc
from commentsvc.models import Status, SubscriptionKind
from commentsvc.rights import erase
from commentsvc.store import Store
from commentsvc.store.subscriptions import BOUNCED
from tests.store.test_store_contract import row
from tests.web.mine_support import tables_holding

EMAIL = "Ann.Author@example.org"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(database_url)
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()


async def seeded(store: Store) -> dict[str, str]:
    thread = await store.threads.ensure("default", "t/people", "", "People")
    mine = row(thread.id, status=Status.APPROVED, author_email=EMAIL, body=f"mail {EMAIL}")
    held = row(thread.id, status=Status.PENDING, author_email=EMAIL.lower(), body="held")
    reply = row(thread.id, parent=mine, status=Status.APPROVED, author_email="bo@example.org")
    hidden = row(thread.id, parent=mine, status=Status.PENDING, author_email="cy@example.org")
    own_reply = row(thread.id, parent=mine, status=Status.APPROVED, author_email=EMAIL.upper())
    await store.comments.insert_many([mine, held, reply, hidden, own_reply])
    await store.subscriptions.request(
        "default", thread.id, EMAIL, SubscriptionKind.THREAD, now_utc(), confirmation=True
    )
    return {"mine": mine["id"], "held": held["id"], "reply": reply["id"], "own": own_reply["id"]}


async def test_records_find_the_address_in_any_case(store: Store) -> None:
    ids = await seeded(store)
    assert await store.people.is_known(EMAIL.upper())
    assert not await store.people.is_known("nobody@example.org")
    records = await store.people.records(EMAIL.swapcase())
    assert {c.id for c in records.comments} == {ids["mine"], ids["held"], ids["own"]}
    assert [r.id for r in records.replies] == [ids["reply"]]  # public, by others
    assert [s.kind for s in records.subscriptions] == [SubscriptionKind.THREAD]
    assert [d.template for d in records.deliveries] == ["confirm"]
    assert set(records.threads) == {records.comments[0].thread_id}


@pytest.mark.parametrize("mode", ["delete", "anonymise"])
async def test_erase_is_one_transaction_through_the_transition_path(
    store: Store, mode: erase.EraseComments
) -> None:
    ids = await seeded(store)
    await store.subscriptions.suppress(EMAIL, BOUNCED, now_utc())
    redact = erase.redactor(EMAIL)
    modes: dict[str, erase.EraseComments] = {"default": mode}
    erased = await store.people.erase(
        EMAIL, erase.plan(modes, "reader", redact), erase.note_scrubber(modes, redact)
    )
    assert len(erased.results) == 3 and erased.comments_missed == 0
    assert erased.suppressions == 1 and erased.deliveries == 1
    assert await tables_holding(store, EMAIL) == []
    mine = await store.comments.get(ids["mine"])
    assert mine is not None and mine.author_name == "a reader" and mine.ip_hash is None
    if mode == "delete":
        assert mine.status is Status.DELETED and mine.body == ""
    else:
        assert mine.status is Status.APPROVED and mine.body == "mail [address erased]"
    reply = await store.comments.get(ids["reply"])
    assert reply is not None and reply.status is Status.APPROVED
    events = await store.comments.events(ids["held"])
    assert (events[-1].action, events[-1].actor, events[-1].note) == ("erase", "reader", "")
    again = await store.people.erase(
        EMAIL, erase.plan(modes, "reader", redact), erase.note_scrubber(modes, redact)
    )
    assert again.results == [] and again.deliveries == 0


async def test_an_address_with_a_capital_non_ascii_letter_is_found_and_erased(
    store: Store,
) -> None:
    # Local parts are kept as written; SQLite's own lower() folds only A-Z, so "ÜBER" was
    # "Über" there and never the "über" every lookup compares with: not exported, not erased.
    address = "ÜBER.Leser@example.org"
    thread = await store.threads.ensure("default", "t/umlaut", "", "Umlaut")
    comment = row(thread.id, status=Status.APPROVED, author_email=address, body="hallo")
    await store.comments.insert_many([comment])
    assert await store.people.is_known("über.leser@example.org")
    records = await store.people.records(address)
    assert [c.id for c in records.comments] == [comment["id"]]
    modes: dict[str, erase.EraseComments] = {"default": "delete"}
    redact = erase.redactor(address)
    erased = await store.people.erase(
        address, erase.plan(modes, "reader", redact), erase.note_scrubber(modes, redact)
    )
    assert len(erased.results) == 1
    assert await tables_holding(store, address) == []


async def test_erase_takes_the_comments_out_of_webhook_deliveries(store: Store) -> None:
    # A delivery keeps its payload (the author's name and an excerpt) for inspection and
    # `webhook redeliver`; after an erasure neither may still hold, nor send, the comment.
    from commentsvc.store.webhook_records import Planned

    ids = await seeded(store)
    endpoint = await store.webhooks.add_endpoint(
        "default", "https://hooks.example.net/x", ["comment.received"], "json",
        allow_private=False, created_by="test", now=now_utc(),
    )  # fmt: skip
    planned = []
    for key in ("mine", "reply"):
        [posted, *_] = await store.comments.events(ids[key])
        payload = {"comment": {"id": ids[key], "author_name": "Ann", "excerpt": "mail"}}
        planned.append(Planned(endpoint.id, f"e{posted.id}", "comment.received", payload))
    await store.webhooks.plan(planned, now_utc(), None)
    modes: dict[str, erase.EraseComments] = {"default": "delete"}
    redact = erase.redactor(EMAIL)
    await store.people.erase(
        EMAIL, erase.plan(modes, "reader", redact), erase.note_scrubber(modes, redact)
    )
    left = await store.webhooks.deliveries(endpoint.id)
    assert [d.payload["comment"]["id"] for d in left] == [ids["reply"]]  # another's reply stays


async def test_an_anonymised_comment_keeps_no_author_link_in_its_import_note(store: Store) -> None:
    # An import's audit note keeps the author's website and the source's metadata (a
    # WordPress comment's meta can name its author); anonymising only redacted the address.
    import orjson
    import sqlalchemy as sa

    from commentsvc.store.tables import events

    ids = await seeded(store)
    note = {
        "format": "wordpress",
        "source_id": "7",
        "original": f"mail {EMAIL}",
        "author_url": "https://ann-author.example.net/about",
        "meta": {"akismet_user": "Ann Author"},
    }
    async with store.db.write() as conn:
        await conn.execute(
            sa.insert(events).values(
                comment_id=ids["mine"], actor="import:wordpress", action="import",
                note=orjson.dumps(note).decode(), at=now_utc(),
            )
        )  # fmt: skip
    modes: dict[str, erase.EraseComments] = {"default": "anonymise"}
    redact = erase.redactor(EMAIL)
    await store.people.erase(
        EMAIL, erase.plan(modes, "reader", redact), erase.note_scrubber(modes, redact)
    )
    [imported] = [e for e in await store.comments.events(ids["mine"]) if e.action == "import"]
    assert "ann-author.example.net" not in imported.note and "Ann Author" not in imported.note
    kept = orjson.loads(imported.note)
    assert kept["source_id"] == "7" and kept["original"] == "mail [address erased]"
