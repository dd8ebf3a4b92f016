"""The word filter's test corpora (tests/moderation/data) and the benchmark corpus."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"

# The data files spell invisible characters out so a reviewer can see them.
INVISIBLE = {
    "{ZWSP}": "\u200b",  # zero-width space
    "{ZWNJ}": "\u200c",  # zero-width non-joiner
    "{ZWJ}": "\u200d",  # zero-width joiner
    "{WJ}": "\u2060",  # word joiner
    "{SHY}": "\u00ad",  # soft hyphen
}


def load(name: str) -> list[str]:
    """The lines of a corpus file, without comments and blank lines."""
    lines = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        for spelled, char in INVISIBLE.items():
            line = line.replace(spelled, char)
        lines.append(line)
    return lines


def load_kinds(name: str) -> list[tuple[str, str]]:
    """(kind, text) for each line of a `kind<TAB>text` corpus ("⏎" stands for a line break)."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, text = line.split("\t", 1)
        rows.append((kind, text.replace("⏎", "\n")))
    return rows
