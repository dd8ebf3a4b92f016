"""Word filter quality on the labelled corpora: recall per kind of evasion, clean rate.

Run: .venv/bin/python benchmarks/moderation_quality.py [--oracle]

Reads tests/moderation/data/evasions.tsv and clean_traps.tsv (`kind<TAB>text`,
written by tests/moderation/make_corpora.py) and runs the word stage with the
default policy on every line. With --oracle, better-profanity judges the same
lines (slow: a minute or two) and every line it flags that we pass is listed.
These are rates, never timings.
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--oracle", action="store_true", help="compare with better-profanity")
    args = parser.parse_args(argv)

    from commentsvc.moderation.types import Item
    from commentsvc.moderation.word_stage import WordStage
    from tests.moderation.corpora import load_kinds

    stage = WordStage()
    offending = load_kinds("evasions.tsv")
    clean = load_kinds("clean_traps.tsv") + [("plain", t) for t in _plain_clean()]
    total: collections.Counter[str] = collections.Counter()
    caught: collections.Counter[str] = collections.Counter()
    for kind, text in offending:
        total[kind] += 1
        caught[kind] += bool(stage.check(Item(text)))
    for kind in sorted(total):
        print(
            f"evasion {kind:<18} {caught[kind]:>4}/{total[kind]:<4} {caught[kind] / total[kind]:.1%}"
        )
    recall = sum(caught.values()) / sum(total.values())
    worst = min(total, key=lambda k: caught[k] / total[k])
    print(
        f"recall overall {recall:.2%} over {sum(total.values())} comments; worst kind {worst} "
        f"{caught[worst] / total[worst]:.1%}"
    )

    flagged = [(k, t) for k, t in clean if stage.check(Item(t))]
    by_kind = collections.Counter(k for k, _ in clean)
    for kind in sorted(by_kind):
        n = sum(1 for k, _ in flagged if k == kind)
        print(f"clean   {kind:<18} {n:>4}/{by_kind[kind]:<4} masked or held")
    print(f"clean masked or held {len(flagged) / len(clean):.2%} of {len(clean)} comments")
    for kind, text in flagged:
        print(f"  false positive [{kind}] {text!r}")

    if args.oracle:
        from better_profanity import profanity

        exceptions = []
        for kind, text in [*offending, *clean]:
            if profanity.contains_profanity(text) and not stage.check(Item(text)):
                exceptions.append((kind, text))
        print(f"better-profanity flags that we pass: {len(exceptions)}")
        for kind, text in exceptions:
            print(f"  [{kind}] {text!r}")
    return 0


def _plain_clean() -> list[str]:
    from tests.moderation.corpora import load

    return load("clean.txt")


if __name__ == "__main__":
    raise SystemExit(main())
