"""Each format's file, written by the test, imported: threads, parents, statuses, dates,
votes, inline feedback, and what the public API then shows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from commentsvc.config import Settings
from commentsvc.store.tables import comments, events, threads
from commentsvc.transfer.wordpress import _date
from tests.support import runtime_of
from tests.transfer.conftest import Client, public_thread, run_import, walk
from tests.transfer.files import (
    WpComment,
    WpPost,
    dsq_post,
    dsq_thread,
    r42,
    write_disqus,
    write_isso,
    write_remark42,
    write_wxr,
)

VOTES = 'a:2:{s:4:"like";i:7;s:7:"dislike";i:2;}'


def wpdiscuz_wxr(path: Path) -> Path:
    article = (
        "<p>Intro.</p>\n"
        '[wpdiscuz-feedback id="q7k2" question="Is the flood map clear?" opened="0"]'
        "The river rose two metres overnight.[/wpdiscuz-feedback]\n"
        '[wpdiscuz-feedback id="z9p1" question="Fair to farmers?" opened="1"]'
        "Farmers were <em>compensated</em>.[/wpdiscuz-feedback]"
    )
    return write_wxr(
        path,
        [
            WpPost(
                11,
                "https://courier.example/2024/03/river-levels/",
                "River levels &amp; the dam",
                [
                    WpComment(
                        101,
                        "First!\nSee <a href='https://example.org/x'>this</a> <script>alert(1)</script>",
                        date_gmt="2024-03-01 09:00:00",
                        meta={"wpdiscuz_votes_seperate": VOTES, "wpdiscuz_votes": "5"},
                    ),
                    WpComment(
                        103,
                        "A reply to the first.",
                        parent=101,
                        date_gmt="2024-03-01 10:00:00",
                        meta={"wpdiscuz_votes": "-3"},
                    ),
                    WpComment(
                        102, "Held for review.", approved="0", date_gmt="2024-03-01 09:30:00"
                    ),
                    WpComment(104, "Buy pills", approved="spam", date_gmt="2024-03-01 11:00:00"),
                    WpComment(105, "Thrown away", approved="trash", date_gmt="2024-03-01 12:00:00"),
                    WpComment(106, "Pinged you", type="pingback", date_gmt="2024-03-01 12:30:00"),
                    WpComment(
                        107,
                        "The map is clear.",
                        date_gmt="2024-03-02 08:00:00",
                        meta={"wpdiscuz_feedback_form_id": "41"},
                    ),
                    WpComment(
                        108,
                        "Not fair at all.",
                        date_gmt="2024-03-02 09:00:00",
                        meta={"wpdiscuz_feedback_form_id": "42"},
                    ),
                    WpComment(
                        109,
                        "Reply before its parent appears.",
                        parent=110,
                        date_gmt="2024-03-03 09:00:00",
                    ),
                    WpComment(110, "Late parent.", date_gmt="2024-03-03 08:00:00"),
                ],
                content=article,
            ),
            WpPost(
                12,
                "https://courier.example/2024/03/budget/",
                "Budget",
                [
                    WpComment(201, "Budget talk.", date_gmt="2024-03-05 07:00:00"),
                    WpComment(202, "Orphan reply.", parent=999, date_gmt="2024-03-05 08:00:00"),
                    WpComment(203, "A trackback", type="trackback"),
                ],
            ),
            WpPost(13, "https://courier.example/about/", "No comments here", []),
        ],
    )


async def test_wordpress_with_wpdiscuz(client: Client, settings: Settings, tmp_path: Path) -> None:
    code, summary, err = await run_import(
        settings, "wordpress", str(wpdiscuz_wxr(tmp_path / "wp.xml"))
    )
    assert code == 0, err
    assert summary["threads"] == 2
    assert summary["comments"] == {"approved": 8, "pending": 1, "spam": 1, "deleted": 1}
    assert summary["skipped"] == {"pingbacks": 1, "trackbacks": 1}
    assert summary["inserted"] == 11

    page = await public_thread(client, "2024/03/river-levels", sort="oldest")
    assert page["thread"]["title"] == "River levels & the dam"
    assert page["thread"]["url"] == "https://courier.example/2024/03/river-levels/"
    assert page["thread"]["count"] == 6 and page["thread"]["feedback_count"] == 2
    top = page["comments"]
    assert [c["created_at"] for c in top] == sorted(c["created_at"] for c in top)
    first = top[0]
    assert first["created_at"] == "2024-03-01T09:00:00.000Z"
    assert first["votes"] == {"up": 7, "down": 2}  # the separate counts win over the net sum
    assert "<script>" not in first["body_html"] and "alert(1)" not in first["body_html"]
    assert (
        '<a href="https://example.org/x" rel="nofollow ugc noopener">this</a>' in first["body_html"]
    )
    assert "<br>" in first["body_html"]
    assert [r["body_html"] for r in first["replies"]] == ["<p>A reply to the first.</p>"]
    assert first["replies"][0]["votes"] == {"up": 0, "down": 3}
    feedback = {c["body_html"]: c for c in walk(top) if c["kind"] == "feedback"}
    assert feedback["<p>The map is clear.</p>"]["anchor"] == {
        "quote": "The river rose two metres overnight.",
        "prefix": "",
        "suffix": "",
        "block": "q7k2",
    }
    assert feedback["<p>Not fair at all.</p>"]["anchor"]["block"] == "z9p1"
    assert feedback["<p>Not fair at all.</p>"]["anchor"]["quote"] == "Farmers were compensated."
    late = next(c for c in top if c["body_html"] == "<p>Late parent.</p>")
    assert [r["body_html"] for r in late["replies"]] == ["<p>Reply before its parent appears.</p>"]

    budget = await public_thread(client, "2024/03/budget")
    assert {c["body_html"] for c in budget["comments"]} == {
        "<p>Budget talk.</p>",
        "<p>Orphan reply.</p>",
    }
    assert summary["notes"]["replies whose parent is not in the file (imported as top-level)"] == 1

    runtime = runtime_of(client)
    async with runtime.store.db.read() as conn:
        rows = (await conn.execute(sa.select(comments))).mappings().all()
        notes = [r.note for r in await conn.execute(sa.select(events.c.note, events.c.to_status))]
        assert all(r.to_status is None for r in await conn.execute(sa.select(events.c.to_status)))
    by_status = {r["status"] for r in rows}
    assert by_status == {"approved", "pending", "spam", "deleted"}
    assert all(r["notified_at"] is not None for r in rows)
    assert all(r["ip_hash"] and "192.0.2" not in r["ip_hash"] for r in rows)
    assert all(r["author_email"] == "reader@example.org" for r in rows)
    assert any("<script>alert(1)</script>" in n and "wpdiscuz_votes_seperate" in n for n in notes)
    assert not await runtime.store.threads.get("default", "about")


async def test_wordpress_thread_key_choices(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    path = wpdiscuz_wxr(tmp_path / "wp.xml")
    await run_import(settings, "wordpress", str(path), "--thread-key", "id", "--site", "default")
    assert (await public_thread(client, "11"))["thread"]["count"] == 6
    code, summary, _ = await run_import(
        settings, "wordpress", str(path), "--thread-key", "url", "--dry-run"
    )
    assert code == 0 and summary["dry_run"] and summary["inserted"] == 0
    assert (await public_thread(client, "https://courier.example/2024/03/budget/"))["thread"][
        "count"
    ] == 0


async def test_disqus(client: Client, settings: Settings, tmp_path: Path) -> None:
    path = write_disqus(
        tmp_path / "disqus.xml",
        [
            dsq_thread("900", "https://courier.example/2021/storm/", "Storm", identifier=""),
            dsq_thread(
                "901", "https://courier.example/2021/quiet/", "Quiet", identifier="quiet-id"
            ),
        ],
        [
            dsq_post("1", "900", "<p>Top &amp; first</p>", "2021-05-01T10:00:00Z"),
            dsq_post(
                "2", "900", "<p>Reply</p><p>two paragraphs</p>", "2021-05-01T11:00:00Z", parent="1"
            ),
            dsq_post("3", "900", "<p>gone</p>", "2021-05-01T12:00:00Z", deleted=True),
            dsq_post(
                "4", "900", "<p>reply to the deleted one</p>", "2021-05-01T13:00:00Z", parent="3"
            ),
            dsq_post("5", "900", "<p>cheap watches</p>", "2021-05-01T14:00:00Z", spam=True),
            dsq_post("6", "", "<p>no thread</p>", "2021-05-01T15:00:00Z"),
            dsq_post("7", "901", "<p>Quiet one</p>", "2021-06-01T10:00:00Z"),
        ],
    )
    code, summary, err = await run_import(settings, "disqus", str(path))
    assert code == 0, err
    assert summary["comments"] == {"approved": 4, "deleted": 1, "spam": 1}
    assert summary["skipped"] == {"posts without a thread id": 1}
    page = await public_thread(client, "2021/storm", sort="oldest")
    assert page["thread"]["title"] == "Storm" and page["thread"]["count"] == 3
    first, deleted = page["comments"]
    assert first["body_html"] == "<p>Top &amp; first</p>"
    assert first["created_at"] == "2021-05-01T10:00:00.000Z"
    assert first["replies"][0]["body_html"] == "<p>Reply</p><p>two paragraphs</p>"
    assert deleted["status"] == "deleted" and deleted["body_html"] == ""
    assert deleted["replies"][0]["body_html"] == "<p>reply to the deleted one</p>"
    # Ids come from the source's ids: the same file again adds nothing, whatever the keys.
    code, again, _ = await run_import(settings, "disqus", str(path), "--thread-key", "id")
    assert code == 0 and again["inserted"] == 0 and again["present"] == 6
    await runtime_of(client).store.sites.add("other", "Other", [])
    await run_import(settings, "disqus", str(path), "--thread-key", "id", "--site", "other")
    assert (await public_thread(client, "quiet-id", site="other"))["thread"]["count"] == 1
    # an empty identifier falls back to the link's path
    async with runtime_of(client).store.db.read() as conn:
        keys = {
            r[0]
            for r in await conn.execute(
                sa.select(threads.c.key).where(threads.c.site_id == "other")
            )
        }
    assert keys == {"2021/storm", "quiet-id"}


async def test_isso(client: Client, settings: Settings, tmp_path: Path) -> None:
    code, summary, err = await run_import(settings, "isso", str(write_isso(tmp_path / "isso.db")))
    assert code == 0, err
    assert summary["comments"] == {"approved": 3, "pending": 1, "deleted": 1}
    page = await public_thread(client, "blog/isso-first", sort="oldest")
    assert page["thread"]["title"] == "First Isso post" and page["thread"]["count"] == 2
    (ina,) = page["comments"]
    assert ina["author_name"] == "Ina" and ina["votes"] == {"up": 3, "down": 1}
    assert ina["body_html"] == "<p>Hello *there*.</p><p>Second line.</p>"
    assert ina["created_at"] == "2023-11-14T22:13:20.000Z"
    reply = ina["replies"][0]
    assert reply["author_name"] == "Ole" and reply["edited_at"] == "2023-11-14T22:16:40.000Z"
    second = await public_thread(client, "blog/isso-second")
    assert second["comments"][0]["status"] == "deleted"
    assert second["comments"][0]["replies"][0]["author_name"] == "Per"


async def test_remark42(client: Client, settings: Settings, tmp_path: Path) -> None:
    url = "https://courier.example/r/one/"
    path = write_remark42(
        tmp_path / "backup.txt",
        [
            r42(
                "c2", "c1", "<p>child first in the file</p>", "2020-02-02T10:00:00.123456789Z", url
            ),
            r42(
                "c1",
                "",
                "<p>parent <b>bold</b></p>",
                "2020-02-01T10:00:00Z",
                url,
                votes={"u1": True, "u2": True, "u3": False},
                score=1,
            ),
            r42("c3", "", "<p>removed</p>", "2020-02-03T10:00:00-05:00", url, delete=True),
        ],
    )
    code, summary, err = await run_import(settings, "remark42", str(path))
    assert code == 0, err
    assert summary["comments"] == {"approved": 2, "deleted": 1}
    page = await public_thread(client, "r/one", sort="oldest")
    assert page["thread"]["title"] == "Remark story" and page["thread"]["count"] == 2
    (parent,) = page["comments"]  # the deleted one has no replies, so it is not shown
    assert parent["body_html"] == "<p>parent bold</p>"
    assert parent["votes"] == {"up": 2, "down": 1}
    assert parent["replies"][0]["created_at"] == "2020-02-02T10:00:00.123Z"


async def test_unknown_site_and_missing_file(settings: Settings, tmp_path: Path) -> None:
    path = write_wxr(tmp_path / "wp.xml", [])
    code, _, err = await run_import(settings, "wordpress", str(path), "--site", "nope")
    assert code == 1 and "no site 'nope'" in err
    code, _, err = await run_import(settings, "wordpress", str(tmp_path / "missing.xml"))
    assert code == 2 and "no file" in err
    (tmp_path / "other.xml").write_text("<html><body/></html>")
    code, _, err = await run_import(settings, "wordpress", str(tmp_path / "other.xml"))
    assert code == 1 and "not a WordPress export" in err


def test_a_wordpress_date_with_an_offset_is_converted_not_relabelled() -> None:
    assert _date("2024-03-01T09:00:00+02:00", "") == datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    assert _date("2024-03-01 09:00:00", "") == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert _date("0000-00-00 00:00:00", "2024-03-01 10:00:00") == datetime(
        2024, 3, 1, 10, 0, tzinfo=UTC
    )
