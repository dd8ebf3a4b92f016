"""The lifecycle table is the law: every (action, state) pair, through the real APIs and worker.

For each action of `comments.lifecycle.STEPS` and each status a comment can be in,
a fresh comment is put in that status and the action is taken the way its actor
takes it (the worker's queue, the moderators' API, the author's edit token, readers'
flags, the admins' erasure). Where the table allows it, the comment must end where the
table says; where it does not, the answer is a refusal and the comment is unchanged.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from commentsvc.comments.lifecycle import STEPS, VERDICTS, Act
from commentsvc.models import Status
from commentsvc.store.records import Transition
from tests.moderators.helpers import moderator_token
from tests.support import drain, runtime_of

Client = TestClient[Any, Any]
THREAD = "world/lifecycle"
_serial = itertools.count(1)


async def set_policy(client: Client, **policy: Any) -> None:
    runtime = runtime_of(client)
    site = await runtime.store.sites.get("default")
    await runtime.store.sites.update("default", policy={**(site.policy if site else {}), **policy})
    runtime.service.forget_site("default")


async def comment_in(client: Client, status: Status) -> tuple[str, str, str]:
    """A new comment put straight into `status` (test set-up, around the table);
    returns its id, its edit token and its author's address."""
    n = next(_serial)
    email = f"reader{n}@example.org"
    resp = await client.post(
        "/api/v1/comments",
        json={
            "thread": THREAD,
            "body": f"Comment number {n} on the new ferry timetable.",
            "author_email": email,
            "author_name": f"Reader {n}",
        },
    )
    posted = await resp.json()
    assert resp.status == 202, posted
    await drain(client)
    runtime = runtime_of(client)
    if status is not Status.APPROVED:
        moved = await runtime.service.transition(
            Transition(posted["id"], frozenset(Status), status, "test", "set-up")
        )
        assert moved is not None
    return posted["id"], posted["edit_token"], email


async def status_of(client: Client, comment_id: str) -> Status:
    stored = await runtime_of(client).store.comments.get(comment_id)
    assert stored is not None
    return stored.status


async def take(
    client: Client, act: Act, comment_id: str, token: str, email: str, admin: dict[str, str]
) -> bool:
    """Take `act` on the comment as its actor does; True when it was accepted."""
    runtime = runtime_of(client)
    if act is Act.MODERATE:
        await runtime.service.ring(runtime.moderate_queue, [{"comment_id": comment_id}])
        await drain(client)
        return True  # the worker never refuses: it skips what is not `received`
    if act in (Act.APPROVE, Act.REJECT, Act.SPAM, Act.DELETE, Act.RESTORE):
        resp = await client.post(
            "/api/v1/moderation/decisions",
            json={"ids": [comment_id], "action": act.value},
            headers=admin,
        )
        assert resp.status == 200, await resp.text()
        outcome = (await resp.json())["results"][comment_id]
        assert outcome == "ok" or outcome["status"] == 409, outcome
        return bool(outcome == "ok")
    if act is Act.EDIT:
        resp = await client.patch(
            f"/api/v1/moderation/comments/{comment_id}",
            json={"body": "Edited by the desk."},
            headers=admin,
        )
        assert resp.status in (200, 409), await resp.text()
        return resp.status == 200
    if act in (Act.FEATURE, Act.UNFEATURE):
        url = f"/api/v1/moderation/comments/{comment_id}/feature"
        if act is Act.UNFEATURE:
            first = await client.post(url, json={"featured": True}, headers=admin)
            assert first.status == 200, await first.text()
        resp = await client.post(url, json={"featured": act is Act.FEATURE}, headers=admin)
        assert resp.status in (200, 409), await resp.text()
        return resp.status == 200
    bearer = {"Authorization": f"Bearer {token}"}
    if act is Act.EDIT_OWN:
        resp = await client.patch(
            f"/api/v1/comments/{comment_id}", json={"body": "Edited by me."}, headers=bearer
        )
        assert resp.status in (202, 409), await resp.text()
        return resp.status == 202
    if act is Act.DELETE_OWN:
        before = await status_of(client, comment_id)
        resp = await client.delete(f"/api/v1/comments/{comment_id}", headers=bearer)
        assert resp.status == 204, await resp.text()  # deleting twice is no error
        return before is not Status.DELETED
    if act is Act.FLAGGED:
        await set_policy(client, flag_threshold=1)
        resp = await client.post(
            f"/api/v1/comments/{comment_id}/flags",
            json={"reason": "abuse", "reporter": "reporter-0001"},
        )
        assert resp.status in (202, 404), await resp.text()
        return resp.status == 202
    if act in (Act.ERASE, Act.ANONYMISE):
        await set_policy(client, erase_comments="delete" if act is Act.ERASE else "anonymise")
        resp = await client.post(
            "/api/v1/moderation/people/erase", json={"email": email}, headers=admin
        )
        assert resp.status == 200, await resp.text()
        return True
    raise AssertionError(f"no way to take {act} in this test")


WALKED = [a for a in Act if a is not Act.STAFF_REPLY]  # a staff reply is a new comment: below


@pytest.mark.parametrize("act", WALKED, ids=str)
async def test_every_state_answers_as_the_table_says(client: Client, act: Act) -> None:
    admin = await moderator_token(client, f"{act}@example.org", role="admin")
    rule = STEPS[act]
    for status in Status:
        comment_id, token, email = await comment_in(client, status)
        accepted = await take(client, act, comment_id, token, email, admin)
        after = await status_of(client, comment_id)
        where = f"{act} from {status}"
        if act is Act.MODERATE:
            if rule.allows(status):
                assert after in VERDICTS, where
            else:
                assert after is status, where
            continue
        assert accepted == rule.allows(status), where
        if not accepted or rule.keeps_status:
            assert after is status, where
        else:
            assert after is rule.target(status), where
        if act is Act.FLAGGED:
            await set_policy(client, flag_threshold=3)


async def test_a_staff_reply_is_published_at_once(client: Client) -> None:
    admin = await moderator_token(client, "desk@example.org", role="admin")
    parent, _, _ = await comment_in(client, Status.APPROVED)
    resp = await client.post(
        f"/api/v1/moderation/comments/{parent}/replies",
        json={"body": "Thanks, fixed."},
        headers=admin,
    )
    assert resp.status == 201, await resp.text()
    reply = (await resp.json())["id"]
    assert await status_of(client, reply) is STEPS[Act.STAFF_REPLY].target(Status.RECEIVED)


def test_the_table_covers_every_action_and_names_real_states() -> None:
    assert set(STEPS) == set(Act)
    for step in STEPS.values():
        assert step.sources, step
        assert step.sources <= set(Status) and step.targets <= set(Status)
