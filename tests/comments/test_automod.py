"""The automatic moderator (comments/automod.py, the moderation worker): an edit made while
its comment is being moderated is moderated itself, and one comment a stage fails on is
held for a person without holding up its batch or looping."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import redis.asyncio as aioredis

from commentsvc.comments.automod import AutoModerator
from commentsvc.comments.reader_actions import ReaderActions
from commentsvc.models import Status, Verdict
from commentsvc.moderation.matcher import WordMatcher, compile_matcher
from commentsvc.moderation.pipeline import Pipeline, default_stages
from commentsvc.moderation.types import Item
from commentsvc.moderation.word_stage import WordStage
from commentsvc.queue.constants import STREAM_DEADLETTER
from commentsvc.queue.entries import Job
from tests.moderators.helpers import Client, post
from tests.support import drain, runtime_of
from workers.moderation import build_pipeline, run_moderation, warm_up

THREE_LINKS = "buy now http://a.example/x http://b.example/y http://c.example/z"


class PoisonPipeline(Pipeline):
    """A stage that blows up on one particular text."""

    def run(self, items: Sequence[Item]) -> list[Verdict]:
        if any("POISON" in i.body for i in items):
            raise ValueError("a stage failed on this text")
        return super().run(items)


async def test_an_edit_during_moderation_is_moderated_itself(any_client: Client) -> None:
    client = any_client
    rt = runtime_of(client)
    posted = await post(client, body="A perfectly clean comment.")
    real_active = rt.store.bans.active
    edited = []

    async def edit_while_moderating(site: str) -> object:  # the worker reads bans mid-batch
        if not edited:
            edited.append(
                await ReaderActions(rt.service).edit_own(
                    posted["id"], posted["edit_token"], THREE_LINKS
                )
            )
        return await real_active(site)

    rt.store.bans.active = edit_while_moderating  # type: ignore[method-assign]
    try:
        await AutoModerator(rt.service, build_pipeline()).handle(
            [Job("1-1", {"comment_id": posted["id"]}, 1)]
        )
    finally:
        rt.store.bans.active = real_active  # type: ignore[method-assign]
    assert edited
    await drain(client)  # the edit's own doorbell
    comment = await rt.store.comments.get(posted["id"])
    assert comment is not None and comment.body == THREE_LINKS
    assert comment.status is Status.PENDING
    assert "links" in [r.rule for r in comment.reasons]


async def test_one_poison_comment_neither_holds_up_its_batch_nor_loops(
    client: Client, redis: aioredis.Redis
) -> None:
    rt = runtime_of(client)
    bodies = ["POISON here", *(f"An innocent comment, number {i}." for i in range(3))]
    posted = await asyncio.gather(*(post(client, body=b) for b in bodies))
    pipeline = PoisonPipeline(build_pipeline().stages)
    await run_moderation(rt, burst=True, pipeline=pipeline)
    statuses = [(await rt.store.comments.get(p["id"])) for p in posted]
    assert [c.status if c else None for c in statuses] == [
        Status.PENDING,
        Status.APPROVED,
        Status.APPROVED,
        Status.APPROVED,
    ]
    poison = statuses[0]
    assert poison is not None and [r.rule for r in poison.reasons] == ["moderation_error"]
    assert await redis.xlen(STREAM_DEADLETTER) == 0


async def test_the_worker_compiles_every_sites_word_list_before_its_first_job(
    client: Client,
) -> None:
    """The first comment after a start no longer waits for a word list to compile."""
    rt = runtime_of(client)
    await rt.store.sites.change_policy("default", lambda p: {**p, "words_add": ["zorblax"]})
    rt.service.sites.forget_site("default")
    asked: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def matcher_for(add: tuple[str, ...], allow: tuple[str, ...]) -> WordMatcher:
        asked.append((add, allow))
        return compile_matcher(add, allow)

    pipeline = Pipeline(default_stages(words=WordStage(matcher_for)))
    await warm_up(pipeline, rt)
    warmed = list(asked)
    assert any(add == ("zorblax",) for add, _ in warmed)  # the site's own list
    assert any(add == () for add, _ in warmed)  # and the default one
    posted = await post(client, body="What a zorblax of a decision.")
    await run_moderation(rt, burst=True, pipeline=pipeline)
    comment = await rt.store.comments.get(posted["id"])
    assert comment is not None and "words" in [r.rule for r in comment.reasons]
    assert set(asked) == set(warmed)  # the job asked only for lists already compiled
