"""Opening source files: gzip or plain, with a position for the progress bar, and XML parsed
safely: a file that declares a DTD (the only place entities can be defined, internal or
external) is refused before the parser sees it, so no entity is ever read or expanded."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal
from xml.etree.ElementTree import Element, ParseError, XMLPullParser
from xml.parsers import expat

from commentsvc.transfer.records import TransferError

READ_SIZE = 1 << 16
Event = Literal["start", "end"]


class SourceFile:
    """A file read once from start to end; `fraction()` is how far the reading got."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise TransferError(f"cannot read {path}: {exc.strerror or exc}") from None
        self.size = os.fstat(self.raw.fileno()).st_size
        magic = self.raw.read(2)
        self.raw.seek(0)
        self.stream: IO[bytes] = self.raw
        if magic == b"\x1f\x8b":
            self.stream = gzip.GzipFile(fileobj=self.raw, mode="rb")  # type: ignore[assignment]

    def fraction(self) -> float | None:
        if not self.size:
            return None
        try:
            return self.raw.tell() / self.size
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        self.stream.close()
        self.raw.close()


# Tags without their namespace, remembered (a file has few distinct tags); hot loops look
# here first and call local() only for a tag not seen yet.
LOCAL_NAMES: dict[str, str] = {}


def local(tag: str) -> str:
    """A tag without its namespace."""
    name = LOCAL_NAMES.get(tag)
    if name is None:
        name = LOCAL_NAMES[tag] = tag.rpartition("}")[2]
    return name


class _Root(Exception):
    """The root element started: no DTD can follow."""


class _Declared(Exception):
    def __init__(self, what: str, name: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.name = name


class PrologueGuard:
    """Reads the start of a file (up to its root element) with expat's declaration handlers
    set, and refuses a DOCTYPE or entity declaration. A DTD can only come before the root, so
    once the root starts the rest of the file goes to the fast C parser alone (the same
    expat), which then has no entity but the five predefined ones to know."""

    def __init__(self) -> None:
        self.active = True
        parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.StartElementHandler = self._root
        self._parser: Any = parser

    @staticmethod
    def _doctype(*_args: Any) -> None:
        raise _Declared("dtd")

    @staticmethod
    def _entity(name: str, *_args: Any) -> None:
        raise _Declared("entity", name)

    @staticmethod
    def _root(*_args: Any) -> None:
        raise _Root

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(data, final)
        except _Root:
            self._done()
        except expat.ExpatError:
            self._done()  # broken before the root: the main parser says where
        else:
            if final:
                self._done()

    def _done(self) -> None:
        self.active = False
        self._parser = None


def xml_events(
    source: SourceFile, events: tuple[Event, ...] = ("end",)
) -> Iterator[tuple[str, Element]]:
    """Elements as they end (C ElementTree pull parser), from a file whose prologue was
    checked for DTDs first; every failure is one clear line."""
    name = source.path.name
    try:
        parser: Any = XMLPullParser(events=events)
        guard = PrologueGuard()
        read = source.stream.read
        while True:
            chunk = read(READ_SIZE)
            if guard.active:
                guard.feed(chunk, final=not chunk)
            if not chunk:
                break
            parser.feed(chunk)
            yield from parser.read_events()
        parser.close()
        yield from parser.read_events()
    except _Declared as exc:
        if exc.what == "dtd":
            raise TransferError(
                f"{name}: refused: the file declares a DTD (<!DOCTYPE ...>). Exports never do, "
                "and a DTD can define entities that read local files or expand without bound"
            ) from None
        raise TransferError(
            f"{name}: refused: the file declares an entity ({exc.name}); entities can read "
            "local files or expand without bound"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        raise TransferError(
            f"{name}: broken XML at line {line}, column {column + 1}: {reason}"
        ) from None
    except (OSError, EOFError) as exc:
        raise TransferError(f"{name}: cannot read the file: {exc}") from None


def child_text(element: Element, name: str) -> str:
    """Text of the first child whose local name is `name` ("" when absent)."""
    for child in element:
        if local(child.tag) == name:
            return child.text or ""
    return ""
