"""Masking matched spans in the original text."""

from __future__ import annotations

from collections.abc import Iterable

from commentsvc.models import Span

MASK = "****"


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort spans and merge the ones that overlap or touch."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return merged


def mask_spans(text: str, spans: Iterable[Span], mask: str = MASK) -> str:
    """Replace each span of `text` with `mask`, leaving every other character as it was.

    Like better-profanity, a masked word becomes four asterisks whatever its length.
    """
    out: list[str] = []
    pos = 0
    for span in merge_spans(spans):
        start, end = max(span.start, pos), min(span.end, len(text))
        if start >= end:
            continue
        out.append(text[pos:start])
        out.append(mask)
        pos = end
    out.append(text[pos:])
    return "".join(out)
