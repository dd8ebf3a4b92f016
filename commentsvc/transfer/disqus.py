"""Disqus XML exports: `<thread dsq:id>` (link, title, identifier `<id>`, isClosed), then
`<post dsq:id>` (message HTML, createdAt, isDeleted, isSpam, author name/email, ipAddress,
`<thread dsq:id>` and `<parent dsq:id>`)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from commentsvc.models import Status
from commentsvc.transfer.importer import parse_dt
from commentsvc.transfer.records import Record, Skipped, SourceComment, SourceThread, TransferError
from commentsvc.transfer.source import SourceFile, child_text, local, xml_events
from commentsvc.transfer.text import url_path_key

DSQ_ID = "{http://disqus.com/disqus-internals}id"


def _dsq_id(element: Element) -> str:
    for name, value in element.attrib.items():
        if local(name) == "id":
            return value.strip()
    return ""


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if local(child.tag) == name:
            return child
    return None


def _true(text: str) -> bool:
    return text.strip().lower() == "true"


class DisqusReader:
    def __init__(self, source: SourceFile, thread_key: str = "path") -> None:
        self.source = source
        self.thread_key = thread_key

    def __iter__(self) -> Iterator[Record]:
        root: Element | None = None
        for event, element in xml_events(self.source, ("start", "end")):
            if event == "start":
                if root is None:
                    root = element
                    if local(root.tag) != "disqus":
                        found = local(root.tag)
                        raise TransferError(
                            f"{self.source.path.name}: not a Disqus export (root <{found}>)"
                        )
                continue
            if root is None or element not in root:
                continue
            name = local(element.tag)
            if name == "thread":
                yield self._thread(element)
            elif name == "post":
                yield self._post(element)
            root.remove(element)

    def _thread(self, element: Element) -> SourceThread:
        ref = _dsq_id(element)
        link = child_text(element, "link").strip()
        identifier = child_text(element, "id").strip()
        if self.thread_key == "id" and identifier:
            key = identifier
        elif self.thread_key == "url" and link:
            key = link
        elif link:
            key = url_path_key(link)
        else:
            key = identifier or ref
        return SourceThread(
            ref,
            key,
            link,
            html.unescape(child_text(element, "title")).strip(),
            _true(child_text(element, "isClosed")),
        )

    def _post(self, element: Element) -> Record:
        source_id = _dsq_id(element)
        thread = _child(element, "thread")
        thread_ref = _dsq_id(thread) if thread is not None else ""
        if not thread_ref:
            return Skipped("posts without a thread id")
        created = child_text(element, "createdAt")
        try:
            created_at = parse_dt(created)
        except ValueError:
            return Skipped("posts without a valid createdAt")
        if not source_id:
            return Skipped("posts without an id")
        parent = _child(element, "parent")
        author = _child(element, "author")
        name = email = ""
        if author is not None:
            name = child_text(author, "name") or child_text(author, "username")
            email = child_text(author, "email")
        if _true(child_text(element, "isDeleted")):
            status = Status.DELETED
        elif _true(child_text(element, "isSpam")):
            status = Status.SPAM
        else:
            status = Status.APPROVED
        return SourceComment(
            source_id=source_id,
            thread_ref=thread_ref,
            parent_ref=(_dsq_id(parent) or None) if parent is not None else None,
            created_at=created_at,
            status=status,
            author_name=name,
            text=child_text(element, "message"),
            is_html=True,
            author_email=email.strip() or None,
            ip=child_text(element, "ipAddress").strip() or None,
        )
