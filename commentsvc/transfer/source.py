"""Opening source files: gzip or plain, with a position for the progress bar, and XML parsed
safely (defusedxml: no DTD, so no external entities and no entity expansion at all)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import iterparse

from commentsvc.transfer.records import TransferError


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


_LOCAL: dict[str, str] = {}


def local(tag: str) -> str:
    """A tag without its namespace (remembered: a file has few distinct tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rpartition("}")[2]
    return name


def xml_events(
    source: SourceFile, events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, Element]]:
    """Elements as they end, from a hardened parser; every failure is one clear line."""
    name = source.path.name
    try:
        parser: Any = iterparse(
            source.stream,
            events=events,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        yield from parser
    except DTDForbidden:
        raise TransferError(
            f"{name}: refused: the file declares a DTD (<!DOCTYPE ...>). Exports never do, and "
            "a DTD can define entities that read local files or expand without bound"
        ) from None
    except EntitiesForbidden as exc:
        raise TransferError(
            f"{name}: refused: the file declares an entity ({exc.name}); entities can read "
            "local files or expand without bound"
        ) from None
    except DefusedXmlException as exc:
        raise TransferError(f"{name}: refused: {exc}") from None
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
