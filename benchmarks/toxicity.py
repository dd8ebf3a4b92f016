"""The toxicity model on the held-out corpora: what it holds, and how fast (make bench-toxicity).

    python benchmarks/toxicity.py [--threshold 0.5]

Prints, at the threshold, the share held of tests/moderation/data/abusive.tsv
(abuse with no listed word: must be held), civil.tsv (heated but civil: must
pass) and the clean corpora (clean.txt, clean_traps.tsv: must pass), each by
kind, then the model's throughput in comments per second of CPU time on one
core (onnxruntime runs single-threaded), batched as the worker batches. The
model was trained on commentsvc/moderation/training/ only; these corpora are
held out. Rates are printed, never asserted here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commentsvc.moderation.toxicity import load_toxicity_model
from tests.moderation.corpora import load, load_kinds

BATCH = 64


def rates(name: str, rows: list[tuple[str, str]], threshold: float, must_hold: bool) -> None:
    model = load_toxicity_model()
    scores = model.scores([t for _, t in rows])
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for (kind, _), score in zip(rows, scores, strict=True):
        by_kind[kind].append(score >= threshold)
    held = sum(s >= threshold for s in scores)
    goal = "goal >= 85%" if must_hold else "goal <= 1%"
    print(f"{name}: {held}/{len(rows)} held = {held / len(rows):.1%} ({goal})")
    for kind, flags in sorted(by_kind.items()):
        print(f"  {kind:14} {sum(flags):4}/{len(flags):<4} {sum(flags) / len(flags):6.1%}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    model = load_toxicity_model()
    print(
        f"model: {model.sentences.name}, q8={model.sentences.quantized}, "
        f"loaded in {time.perf_counter() - started:.1f} s"
    )
    threshold = args.threshold if args.threshold is not None else model.threshold
    print(f"threshold {threshold:.2f}")
    abusive = load_kinds("abusive.tsv")
    civil = load_kinds("civil.tsv")
    clean = [("clean", t) for t in load("clean.txt")]
    traps_path = Path(__file__).resolve().parent.parent / "tests/moderation/data/clean_traps.tsv"
    if traps_path.exists():
        clean += load_kinds("clean_traps.tsv")
    rates("abusive", abusive, threshold, must_hold=True)
    rates("civil", civil, threshold, must_hold=False)
    rates("clean", clean, threshold, must_hold=False)
    texts = [t for _, t in abusive + civil + clean]
    model.scores(texts[:BATCH])  # warm
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(texts), BATCH):
        model.scores(texts[i : i + BATCH])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"speed: {len(texts)} comments in batches of {BATCH}: "
        f"{len(texts) / cpu:.0f} comments/s per core (CPU time), "
        f"{len(texts) / wall:.0f}/s wall clock"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
