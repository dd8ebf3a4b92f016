"""Source files the transfer tests write themselves (made-up articles and readers)."""

from __future__ import annotations

import html
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class WpComment:
    id: int
    content: str
    parent: int = 0
    approved: str = "1"
    date_gmt: str = "2024-03-01 09:00:00"
    author: str = "A Reader"
    email: str = "reader@example.org"
    url: str = ""
    ip: str = "192.0.2.10"
    type: str = "comment"
    meta: dict[str, str] = field(default_factory=dict)

    def xml(self) -> str:
        metas = "".join(
            f"<wp:commentmeta><wp:meta_key>{k}</wp:meta_key>"
            f"<wp:meta_value>{_cdata(v)}</wp:meta_value></wp:commentmeta>"
            for k, v in self.meta.items()
        )
        return (
            f"<wp:comment><wp:comment_id>{self.id}</wp:comment_id>"
            f"<wp:comment_author>{_cdata(self.author)}</wp:comment_author>"
            f"<wp:comment_author_email>{self.email}</wp:comment_author_email>"
            f"<wp:comment_author_url>{self.url}</wp:comment_author_url>"
            f"<wp:comment_author_IP>{self.ip}</wp:comment_author_IP>"
            f"<wp:comment_date>{self.date_gmt}</wp:comment_date>"
            f"<wp:comment_date_gmt>{self.date_gmt}</wp:comment_date_gmt>"
            f"<wp:comment_content>{_cdata(self.content)}</wp:comment_content>"
            f"<wp:comment_approved>{self.approved}</wp:comment_approved>"
            f"<wp:comment_type>{self.type}</wp:comment_type>"
            f"<wp:comment_parent>{self.parent}</wp:comment_parent>"
            f"<wp:comment_user_id>0</wp:comment_user_id>{metas}</wp:comment>\n"
        )


@dataclass
class WpPost:
    id: int
    link: str
    title: str
    comments: list[WpComment]
    content: str = "<p>The article.</p>"

    def xml(self) -> str:
        return (
            f"<item><title>{html.escape(self.title)}</title><link>{self.link}</link>"
            f"<content:encoded>{_cdata(self.content)}</content:encoded>"
            f"<wp:post_id>{self.id}</wp:post_id><wp:post_type>post</wp:post_type>"
            f"<wp:comment_status>open</wp:comment_status>\n"
            + "".join(c.xml() for c in self.comments)
            + "</item>\n"
        )


def write_wxr(path: Path, posts: list[WpPost]) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
        "<channel><title>The Valley Courier</title><wp:wxr_version>1.2</wp:wxr_version>\n"
        + "".join(p.xml() for p in posts)
        + "</channel></rss>\n",
        encoding="utf-8",
    )
    return path


def big_wxr(path: Path, posts: int, per_post: int) -> Path:
    """Many plain comments, every third one a reply to the one before."""
    n = 0
    out = []
    for p in range(1, posts + 1):
        comments = []
        for i in range(per_post):
            n += 1
            comments.append(
                WpComment(
                    n,
                    f"Comment {n} on story {p}.",
                    parent=n - 1 if i % 3 else 0,
                    date_gmt=f"2023-0{1 + p % 9}-1{i % 10} 1{i % 10}:{i % 60:02d}:00",
                    email=f"r{n}@example.org",
                )
            )
        out.append(WpPost(p, f"https://courier.example/news/story-{p}/", f"Story {p}", comments))
    return write_wxr(path, out)


def write_disqus(path: Path, threads: list[str], posts: list[str]) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<category dsq:id="1"><forum>courier</forum><title>General</title></category>\n'
        + "".join(threads)
        + "".join(posts)
        + "</disqus>\n",
        encoding="utf-8",
    )
    return path


def dsq_thread(dsq_id: str, link: str, title: str, identifier: str = "") -> str:
    return (
        f'<thread dsq:id="{dsq_id}"><id>{identifier}</id><forum>courier</forum>'
        f'<category dsq:id="1"/><link>{link}</link><title>{html.escape(title)}</title>'
        "<message/><createdAt>2022-01-01T00:00:00Z</createdAt><isClosed>false</isClosed>"
        "<isDeleted>false</isDeleted></thread>\n"
    )


def dsq_post(
    dsq_id: str,
    thread: str,
    message: str,
    created: str,
    *,
    parent: str = "",
    deleted: bool = False,
    spam: bool = False,
    name: str = "Disqus Reader",
    email: str = "dq@example.org",
    ip: str = "198.51.100.7",
) -> str:
    parent_xml = f'<parent dsq:id="{parent}"/>' if parent else ""
    return (
        f'<post dsq:id="{dsq_id}"><id/><message>{_cdata(message)}</message>'
        f"<createdAt>{created}</createdAt><isDeleted>{str(deleted).lower()}</isDeleted>"
        f"<isSpam>{str(spam).lower()}</isSpam><author><email>{email}</email><name>{name}</name>"
        f"<isAnonymous>false</isAnonymous></author><ipAddress>{ip}</ipAddress>"
        f'<thread dsq:id="{thread}"/>{parent_xml}</post>\n'
    )


def write_isso(path: Path) -> Path:
    """An Isso database made the way Isso's schema has it, through SQL."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
        CREATE TABLE comments (
            tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
            created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
            text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
            likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
            notification INTEGER DEFAULT 0);
        INSERT INTO threads VALUES (1, '/blog/isso-first/', 'First Isso post');
        INSERT INTO threads VALUES (2, '/blog/isso-second/', 'Second Isso post');
        """
    )
    rows = [
        (
            1,
            1,
            None,
            1700000000.0,
            None,
            1,
            "203.0.113.0",
            "Hello *there*.\n\nSecond line.",
            "Ina",
            "ina@example.org",
            "https://ina.example",
            3,
            1,
        ),
        (
            1,
            2,
            1,
            1700000100.5,
            1700000200.0,
            1,
            "203.0.113.0",
            "A reply to Ina.",
            "Ole",
            None,
            None,
            0,
            0,
        ),
        (
            1,
            3,
            None,
            1700000300.0,
            None,
            2,
            "203.0.113.0",
            "Waiting for a moderator.",
            None,
            None,
            None,
            0,
            0,
        ),
        (2, 4, None, 1700000400.0, None, 4, "203.0.113.0", "", None, None, None, 0, 0),
        (
            2,
            5,
            4,
            1700000500.0,
            None,
            1,
            "203.0.113.0",
            "Reply under a deleted one.",
            "Per",
            None,
            None,
            0,
            0,
        ),
    ]
    db.executemany(
        "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author,"
        " email, website, likes, dislikes, voters, notification) VALUES"
        " (?,?,?,?,?,?,?,?,?,?,?,?,?, x'00', 0)",
        rows,
    )
    db.commit()
    db.close()
    return path


def write_remark42(path: Path, comments: list[dict[str, object]]) -> Path:
    meta = {"version": 1, "users": [], "posts": [{"url": "https://courier.example/r/one/"}]}
    path.write_text(
        "\n".join([json.dumps(meta), *(json.dumps(c) for c in comments)]) + "\n", encoding="utf-8"
    )
    return path


def r42(cid: str, pid: str, text: str, time: str, url: str, **extra: object) -> dict[str, object]:
    return {
        "id": cid,
        "pid": pid,
        "text": text,
        "orig": text,
        "user": {"name": f"user-{cid}", "id": f"github_{cid}", "ip": "5f3a9c", "admin": False},
        "locator": {"site": "remark", "url": url},
        "score": 0,
        "votes": {},
        "time": time,
        "title": "Remark story",
        **extra,
    }
