"""WordPress WXR exports (Tools → Export), wpDiscuz comment meta included.

Read from each `<item>` (one post): its permalink (`<link>`), title, `wp:post_id` and, for
wpDiscuz inline feedback, the `[wpdiscuz-feedback id=".." question=".."]passage[/..]`
shortcodes of `content:encoded`. From each `wp:comment`: id, parent, author (name, email,
URL, IP), `comment_date_gmt`, content (HTML), `comment_approved` (1 → approved, 0 → pending,
spam → spam, trash/post-trashed → deleted), type (pingbacks and trackbacks are skipped) and
every `wp:commentmeta`. wpDiscuz meta read:

- `wpdiscuz_votes_seperate` (PHP-serialized {like: n, dislike: m}) → votes up and down;
- `wpdiscuz_votes` (the net sum) when the separate counts are absent;
- `wpdiscuz_feedback_form_id` → an inline-feedback comment anchored to that form's passage.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from commentsvc.models import Status
from commentsvc.transfer.records import (
    Record,
    Skipped,
    SourceComment,
    SourceThread,
    ThreadDone,
    TransferError,
)
from commentsvc.transfer.source import LOCAL_NAMES, SourceFile, local, xml_events
from commentsvc.transfer.text import count_of, html_to_plain, url_path_key

WPDISCUZ_VOTES = "wpdiscuz_votes"
WPDISCUZ_VOTES_SEPARATE = "wpdiscuz_votes_seperate"  # sic: wpDiscuz's own spelling
WPDISCUZ_FEEDBACK_FORM = "wpdiscuz_feedback_form_id"

STATUSES = {
    "1": Status.APPROVED,
    "approve": Status.APPROVED,
    "0": Status.PENDING,
    "hold": Status.PENDING,
    "spam": Status.SPAM,
    "trash": Status.DELETED,
    "post-trashed": Status.DELETED,
}
_SHORTCODE = re.compile(
    r"\[wpdiscuz-feedback\b([^\]]*)\](.*?)\[/wpdiscuz-feedback\]", re.IGNORECASE | re.DOTALL
)
_ATTR = re.compile(r"(\w+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_LIKES = re.compile(r's:\d+:"(like|dislike)";i:(-?\d+);')
_NO_DATE = "0000-00-00 00:00:00"


def _date(gmt: str, local_date: str) -> datetime | None:
    for text in (gmt.strip(), local_date.strip()):
        if text and text != _NO_DATE:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                continue
            # WordPress writes none, but a date that names its offset is converted, not
            # relabelled as UTC.
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
            return parsed.replace(tzinfo=UTC)
    return None


def votes_of(meta: dict[str, str]) -> tuple[int, int]:
    separate = meta.get(WPDISCUZ_VOTES_SEPARATE)
    if separate:
        found = dict(_LIKES.findall(separate))
        if found:
            up, down = count_of(found.get("like", "0")), count_of(found.get("dislike", "0"))
            return max(0, up), max(0, down)
    value = count_of(meta.get(WPDISCUZ_VOTES, "").strip())
    return max(value, 0), max(-value, 0)


def _form_number(text: str) -> bool:
    """Whether a feedback form id is one int() reads ("²" is a digit it refuses)."""
    return text.isdecimal() and len(text) <= 18


def feedback_forms(content: str) -> list[dict[str, str]]:
    """The post's wpDiscuz feedback shortcodes, in document order."""
    forms = []
    for match in _SHORTCODE.finditer(content):
        attrs = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or "")
            for m in _ATTR.finditer(match.group(1))
        }
        forms.append(
            {
                "uid": attrs.get("id", ""),
                "question": attrs.get("question", ""),
                "passage": html_to_plain(match.group(2))[:1000],
            }
        )
    return forms


class WordPressReader:
    def __init__(self, source: SourceFile, thread_key: str = "path") -> None:
        self.source = source
        self.thread_key = thread_key

    def __iter__(self) -> Iterator[Record]:
        saw_rss = False
        names = LOCAL_NAMES
        for _event, element in xml_events(self.source):
            tag = element.tag
            name = names.get(tag) or local(tag)
            if name == "item":
                saw_rss = True
                yield from self._item(element)
                element.clear()
            elif name in ("rss", "channel"):
                saw_rss = True
        if not saw_rss:
            raise TransferError(f"{self.source.path.name}: not a WordPress export (no <item>)")

    def _item(self, item: Element) -> Iterator[Record]:
        fields: dict[str, str] = {}
        comments: list[Element] = []
        for child in item:
            name = local(child.tag)
            if name == "comment" and "wordpress.org/export" in child.tag:
                comments.append(child)
            elif name == "encoded" and "content" in child.tag:
                fields["content"] = child.text or ""
            else:
                fields.setdefault(name, child.text or "")
        if not comments:
            return
        post_id = fields.get("post_id", "").strip()
        link = (fields.get("link") or fields.get("guid") or "").strip()
        if self.thread_key == "id" or not link:
            key = post_id or link
        elif self.thread_key == "url":
            key = link
        else:
            key = url_path_key(link)
        ref = post_id or link
        yield SourceThread(
            ref,
            key,
            link,
            html.unescape(fields.get("title", "")).strip(),
            fields.get("comment_status", "open").strip() == "closed",
        )
        forms = feedback_forms(fields.get("content", ""))
        parsed = [self._comment(ref, c) for c in comments]
        form_ids = sorted(
            {
                int(m)
                for r in parsed
                if isinstance(r, SourceComment)
                if _form_number(m := str(r.meta.get(WPDISCUZ_FEEDBACK_FORM, "")).strip())
            }
        )
        # wpDiscuz numbers a post's forms as it saves them, so in the order of the text.
        by_form = dict(zip(form_ids, forms, strict=False)) if len(form_ids) <= len(forms) else {}
        for record in parsed:
            if isinstance(record, SourceComment):
                form_id = str(record.meta.get(WPDISCUZ_FEEDBACK_FORM, "")).strip()
                if _form_number(form_id):
                    form = by_form.get(int(form_id))
                    if form is not None:
                        record.anchor = {
                            "quote": form["passage"],
                            "prefix": "",
                            "suffix": "",
                            "block": form["uid"],
                        }
                    else:
                        record.anchor = {
                            "quote": "",
                            "prefix": "",
                            "suffix": "",
                            "block": f"wpdiscuz-feedback-{form_id}",
                        }
            yield record
        yield ThreadDone(ref)

    def _comment(self, ref: str, element: Element) -> Record:
        f: dict[str, str] = {}
        meta: dict[str, str] = {}
        names = LOCAL_NAMES
        for child in element:
            tag = child.tag
            name = names.get(tag) or local(tag)
            if name != "commentmeta":
                f[name] = child.text or ""
                continue
            key = value = ""
            for part in child:
                tag = part.tag
                part_name = names.get(tag) or local(tag)
                if part_name == "meta_key":
                    key = (part.text or "").strip()
                elif part_name == "meta_value":
                    value = part.text or ""
            if key:
                meta[key] = value
        kind = f.get("comment_type", "").strip().lower()
        if kind in ("pingback", "trackback"):
            return Skipped(kind + "s")
        if kind not in ("", "comment"):
            return Skipped(f"comments of type {kind!r}")
        approved = f.get("comment_approved", "1").strip().lower()
        status = STATUSES.get(approved)
        if status is None:
            return Skipped(f"status {approved!r}")
        created = _date(f.get("comment_date_gmt", ""), f.get("comment_date", ""))
        source_id = f.get("comment_id", "").strip()
        if created is None or not source_id:
            return Skipped("no id or date")
        parent = f.get("comment_parent", "").strip()
        up, down = votes_of(meta)
        return SourceComment(
            source_id=source_id,
            thread_ref=ref,
            parent_ref=parent if parent not in ("", "0") else None,
            created_at=created,
            status=status,
            author_name=html.unescape(f.get("comment_author", "")),
            text=f.get("comment_content", ""),
            is_html=True,
            author_email=f.get("comment_author_email", "").strip() or None,
            author_url=f.get("comment_author_url", "").strip(),
            ip=f.get("comment_author_IP", "").strip() or None,
            user_agent=f.get("comment_agent", "").strip(),
            votes_up=up,
            votes_down=down,
            meta=meta,
        )
