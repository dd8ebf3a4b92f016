"""Hostile and broken files: refused with one clear line, no traceback, no local file read."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

from commentsvc.config import Settings
from tests.processes import run_cli, service_env
from tests.support import live_client, make_settings
from tests.transfer.conftest import Client, public_thread, run_export, run_import
from tests.transfer.files import (
    dsq_post,
    dsq_thread,
    r42,
    write_disqus,
    write_isso,
    write_remark42,
)

WXR_HEAD = (
    '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
    "<title>t</title><link>https://x.example/a/</link><wp:post_id>1</wp:post_id>"
)


def xxe_file(tmp_path: Path) -> tuple[Path, str]:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + WXR_HEAD
        + "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>&xxe;"
        "</wp:comment_content><wp:comment_date_gmt>2024-01-01 00:00:00</wp:comment_date_gmt>"
        "</wp:comment></item></channel></rss>"
    )
    return path, "TOP-SECRET-VALUE"


def laughs_file(tmp_path: Path) -> Path:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    path = tmp_path / "laughs.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(entities)}]>\n'
        "<disqus><post><message>&lol9;</message></post></disqus>"
    )
    return path


async def test_xxe_refused_and_nothing_read(settings: Settings, tmp_path: Path) -> None:
    path, secret = xxe_file(tmp_path)
    for fmt in ("wordpress", "disqus"):
        code, summary, err = await run_import(settings, fmt, str(path))
        assert code == 1 and summary == {}
        assert "refused" in err and "DTD" in err
        assert secret not in err


async def test_billion_laughs_refused(settings: Settings, tmp_path: Path) -> None:
    code, _, err = await run_import(settings, "disqus", str(laughs_file(tmp_path)))
    assert code == 1 and "refused" in err


async def test_broken_xml_names_the_line(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(WXR_HEAD + "\n<wp:comment>\n<wp:comment_id>1</wp:comment_idd>\n")
    code, _, err = await run_import(settings, "wordpress", str(path))
    assert code == 1 and "broken XML at line 3" in err


async def test_broken_json_lines(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text('{"version": 1}\n{"id": "x", \n')
    code, _, err = await run_import(settings, "remark42", str(path))
    assert code == 1 and "broken JSON at line 2" in err
    code, _, err = await run_import(settings, "commentsvc", str(path))
    assert code == 1 and "not a commentsvc export" in err
    code, _, err = await run_import(settings, "isso", str(path))
    assert code == 1 and "not an Isso database" in err


def test_cli_refuses_without_traceback(tmp_path: Path) -> None:
    path, secret = xxe_file(tmp_path)
    result = run_cli(service_env(tmp_path), "import", "wordpress", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and secret not in result.stderr + result.stdout
    assert "refused" in result.stderr


async def test_dtd_refused_wherever_the_prologue_puts_it(
    settings: Settings, tmp_path: Path
) -> None:
    """Past the first read (a long comment before it), in UTF-16, or gzipped: still refused."""
    path, secret = xxe_file(tmp_path)
    text = path.read_text()
    head, rest = text.split("\n", 1)
    cases = {
        "late.xml": (head + "\n<!--" + "x" * 200_000 + "-->\n" + rest).encode(),
        "utf16.xml": text.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode(
            "utf-16"
        ),
    }
    cases["gz.xml.gz"] = gzip.compress(text.encode())
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        code, summary, err = await run_import(settings, "wordpress", str(tmp_path / name))
        assert code == 1 and summary == {}, name
        assert "refused" in err and "DTD" in err, (name, err)
        assert secret not in err


async def test_undeclared_entity_is_broken_xml(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_text(
        WXR_HEAD + "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>&xxe;"
        "</wp:comment_content></wp:comment></item></channel></rss>"
    )
    code, _, err = await run_import(settings, "wordpress", str(path))
    assert code == 1 and "broken XML at line 1" in err and "undefined entity" in err


async def _native_export(settings: Settings, tmp_path: Path) -> list[dict[str, Any]]:
    """A real commentsvc export of two remark42 comments (a reply), as records."""
    url = "https://x.example/a/"
    source = write_remark42(
        tmp_path / "r42.json",
        [
            r42("c0", "", "first", "2024-01-01T00:00:00Z", url),
            r42("c1", "c0", "second", "2024-01-01T00:01:00Z", url),
        ],
    )
    assert (await run_import(settings, "remark42", str(source)))[0] == 0
    path = tmp_path / "export.jsonl"
    assert await run_export(settings, path) == 0
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


BAN = {
    "type": "ban",
    "site_id": "default",
    "kind": "email",
    "value": "troll@example.org",
    "reason": "",
    "expires_at": None,
    "created_by": "admin@example.org",
    "created_at": "2024-01-01T00:00:00+00:00",
}


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


async def test_a_tampered_native_export_is_refused_with_one_line(
    settings: Settings, tmp_path: Path, redis_url: str
) -> None:
    records = await _native_export(settings, tmp_path)
    target = make_settings(
        tmp_path / "target", f"sqlite+aiosqlite:///{tmp_path}/target.sqlite3", redis_url
    )

    def first(kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return next(r for r in rows if r["type"] == kind)

    def comments_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r["type"] == "comment"]

    broken: dict[str, Callable[[list[dict[str, Any]]], object]] = {
        "site without id": lambda rs: first("site", rs).pop("id"),
        "policy not a policy": lambda rs: first("site", rs).update(policy=[1]),
        # A site the target does not have yet (the target's own `default` is kept as it is).
        "site with a field we lack": lambda rs: first("site", rs).update(id="other", x=1),
        "site name a number": lambda rs: first("site", rs).update(id="other", name=5),
        "site without a name": lambda rs: first("site", rs).update(id="other", name=None),
        "origins a string": lambda rs: first("site", rs).update(
            id="other", allowed_origins="https://x.example"
        ),
        "site id not a site id": lambda rs: first("site", rs).update(id="Not A Site!"),
        # Bans went in as written: a field we lack was a CompileError traceback, a number a
        # DataError one on PostgreSQL, a kind we lack a ban nothing reads.
        "ban value a number": lambda rs: rs.insert(2, {**BAN, "value": 5}),
        "ban of a kind we lack": lambda rs: rs.insert(2, {**BAN, "kind": "bogus"}),
        "ban with a field we lack": lambda rs: rs.insert(2, {**BAN, "x": 1}),
        "thread without key": lambda rs: first("thread", rs).pop("key"),
        "thread key a list": lambda rs: first("thread", rs).update(key=["a"]),
        "comment id a list": lambda rs: comments_of(rs)[0].update(id=["x"]),
        "depth a string": lambda rs: comments_of(rs)[0].update(depth="deep"),
        "unknown status": lambda rs: comments_of(rs)[0].update(status="bogus"),
        "unknown kind": lambda rs: comments_of(rs)[0].update(kind="bogus"),
        "body a number": lambda rs: comments_of(rs)[0].update(body=5),
        "NUL in a body": lambda rs: comments_of(rs)[0].update(body="x\x00y"),
        "NUL in JSON": lambda rs: comments_of(rs)[0].update(moderation={"a": "\x00"}),
        "parent not in the file": lambda rs: comments_of(rs)[1].update(parent_id="nope"),
        "subscription without fields": lambda rs: rs.insert(
            -1, {"type": "subscription", "thread": "a", "email": "x@example.org"}
        ),
    }
    sound = _write(tmp_path / "ban.jsonl", [records[0], records[1], BAN, records[-1]])
    code, _, err = await run_import(target, "commentsvc", str(sound))
    assert code == 0, err  # the ban as exported goes in
    for name, spoil in broken.items():
        rows = [dict(r) for r in records]
        spoil(rows)
        path = _write(tmp_path / "bad.jsonl", rows)
        code, _, err = await run_import(target, "commentsvc", str(path))
        assert code == 1, (name, err)
        assert err.startswith("commentsvc import: ") and len(err.strip().splitlines()) == 1, (
            name,
            err,
        )


async def test_a_native_import_sanitizes_the_html_it_is_given(
    settings: Settings, tmp_path: Path, redis_url: str, redis: aioredis.Redis
) -> None:
    records = await _native_export(settings, tmp_path)
    rows = [dict(r) for r in records]
    hostile = next(r for r in rows if r["type"] == "comment" and r["parent_id"] is None)
    hostile["body_html"] = '<p>hi</p><script>alert(1)</script><img src=x onerror="alert(2)">'
    path = _write(tmp_path / "hostile.jsonl", rows)
    target = make_settings(
        tmp_path / "target", f"sqlite+aiosqlite:///{tmp_path}/target.sqlite3", redis_url
    )
    code, _, err = await run_import(target, "commentsvc", str(path))
    assert code == 0, err
    async with live_client(target) as client:
        thread = await public_thread(client, "a")
    html = orjson.dumps(thread).decode()
    assert "<script" not in html and "onerror" not in html and "<img" not in html
    assert "<p>hi</p>" in html


async def test_remark42_records_of_the_wrong_shape_are_no_traceback(
    settings: Settings, tmp_path: Path
) -> None:
    url = "https://x.example/r/one/"
    odd = [
        r42("c1", "", "user a string", "2024-01-01T00:00:00Z", url, user="someone"),
        r42("c2", "", "votes a list", "2024-01-01T00:00:01Z", url, votes=[1]),
        r42("c3", "", "edit a string", "2024-01-01T00:00:02Z", url, edit="yes"),
        r42("c4", "", "no UTC offset", "2024-01-01T00:00:03", url),
    ]
    broken_locator = r42("c5", "", "locator a string", "2024-01-01T00:00:04Z", url)
    broken_locator["locator"] = "x"
    no_id = r42("c6", "", "no id", "2024-01-01T00:00:05Z", url)
    del no_id["id"]
    path = write_remark42(tmp_path / "odd.json", [*odd, broken_locator, no_id])
    code, summary, err = await run_import(settings, "remark42", str(path))
    assert code == 0, err
    assert summary["comments"] == {"approved": 4}  # read as Remark42 would show them
    assert sum(summary["skipped"].values()) == 2  # no url to place it; nothing to name it


async def test_disqus_dates_past_the_calendar_and_script_links_are_no_harm(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    path = write_disqus(
        tmp_path / "dq.xml",
        [
            dsq_thread("t1", "https://x.example/a/", "A"),
            dsq_thread("t2", "javascript:alert(1)//b/", "B", identifier="b"),
        ],
        [
            dsq_post("p1", "t1", "late", "9999-12-31T23:59:59-05:00"),  # OverflowError before
            dsq_post("p2", "t1", "fine", "2022-01-01T00:00:00+02:00"),
            dsq_post("p3", "t2", "on a script link", "2022-01-01T00:00:00Z"),
        ],
    )
    code, summary, err = await run_import(settings, "disqus", str(path))
    assert code == 0, err
    assert summary["comments"] == {"approved": 2} and sum(summary["skipped"].values()) == 1
    page = await public_thread(client, "a")
    assert page["comments"][0]["created_at"] == "2021-12-31T22:00:00.000Z"
    assert (await public_thread(client, "b"))["thread"]["url"] == ""


async def test_nul_characters_in_a_file_are_dropped_on_every_database(
    tmp_path: Path, database_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    url = "https://x.example/nul/"
    comment = r42("n0", "", "a\x00b", "2024-01-01T00:00:00Z", url, title="T\x00itle")
    comment["user"] = {"name": "A\x00nn", "id": "g\x00", "ip": "1"}
    path = write_remark42(tmp_path / "nul.json", [comment])
    settings = make_settings(tmp_path, database_url, redis_url)
    code, summary, err = await run_import(settings, "remark42", str(path))
    assert code == 0, err  # on PostgreSQL: a traceback (text and jsonb refuse U+0000)
    assert summary["comments"] == {"approved": 1}
    async with live_client(settings) as client:
        page = await public_thread(client, "nul")
    assert page["thread"]["title"] == "Title"
    [one] = page["comments"]
    assert one["body_html"] == "<p>ab</p>" and one["author_name"] == "Ann"


async def test_isso_values_of_the_wrong_type_are_no_traceback(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    """Isso's SQLite columns hold whatever was written: a text mode or like count was a
    ValueError traceback, a like count past the votes column an overflow (a DataError on
    PostgreSQL)."""
    import sqlite3

    path = write_isso(tmp_path / "isso.db")
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE comments SET mode = 'x' WHERE id = 5")
        db.execute("UPDATE comments SET likes = 'many', dislikes = x'00ff' WHERE id = 1")
        db.execute("UPDATE comments SET likes = 9000000000000000000 WHERE id = 2")
    db.close()
    code, summary, err = await run_import(settings, "isso", str(path))
    assert code == 0, err
    assert summary["skipped"] == {"mode x": 1}
    page = await public_thread(client, "blog/isso-first", sort="oldest")
    (ina,) = page["comments"]
    assert ina["votes"] == {"up": 0, "down": 0}  # not numbers: none
    assert ina["replies"][0]["votes"]["up"] == 2**31 - 1  # as many as a count can hold


async def test_wpdiscuz_vote_counts_that_are_no_numbers_are_no_traceback(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    """A "²" passed str.isdigit() and then failed int(), as did 5,000 digits (past Python's
    limit for converting text): a ValueError traceback for the whole import."""
    from tests.transfer.files import WpComment, WpPost, write_wxr

    votes = ["²", "-²", "9" * 5000, "12"]
    separate = 'a:2:{s:4:"like";i:' + "9" * 5000 + ';s:7:"dislike";i:1;}'
    comments = [
        WpComment(i + 1, f"Comment {i}.", meta={"wpdiscuz_votes": v}) for i, v in enumerate(votes)
    ]
    comments.append(WpComment(9, "Separate.", meta={"wpdiscuz_votes_seperate": separate}))
    comments.append(WpComment(10, "A form.", meta={"wpdiscuz_feedback_form_id": "²"}))
    path = write_wxr(tmp_path / "wp.xml", [WpPost(7, "https://x.example/p/", "P", comments)])
    code, summary, err = await run_import(settings, "wordpress", str(path))
    assert code == 0, err
    assert summary["comments"] == {"approved": 6}
    page = await public_thread(client, "p", sort="oldest")
    assert sorted(c["votes"]["up"] for c in page["comments"]) == [0, 0, 0, 0, 0, 12]
