"""Train the toxicity classifier shipped in `models/toxicity.json`.

    python -m commentsvc.moderation.train            # train, report, write the model file
    python -m commentsvc.moderation.train --check    # report only, write nothing

The labelled set is `training/toxic.tsv` (abuse: insults, harassment, threats,
identity hate) and `training/fine.tsv` (heated but civil comments, criticism
of public figures, everyday comments, names, places, other languages), both
written for this project. The test corpora in tests/moderation/data are never
read here, so the figures `make bench-toxicity` prints on them are held out.

Each line is embedded with the sentence model (commentsvc.moderation.
sentence_model) and an L2-regularised logistic regression is fitted on the
unit vectors by Newton's method (numpy only; 385 numbers). The score of a
comment is the classifier's probability; the shipped threshold is the one
sites are advised to use. Five-fold cross-validation figures are printed and
stored in the model file.

Comments are also scored clause by clause (`Chunk.fragments`): the same
classifier over each clause's pooled token states, with its own, stricter
offset. Both offsets are chosen together on the cross-validated logits of the
training set only: the pair that holds the most abuse while holding at most
FINE_HELD of the fine lines (a line is held when its whole logit passes the
whole offset or any clause's passes the clause offset).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from commentsvc.moderation.sentence_model import MODEL_NAME, load_sentence_model
from commentsvc.moderation.training import templates

HERE = Path(__file__).parent
TRAINING = HERE / "training"
MODEL_FILE = HERE / "models" / "toxicity.json"
EXAMPLES_FILE = HERE / "models" / "toxicity-examples.npz"
L2 = 0.0005
THRESHOLD = 0.5
NEIGHBOURS = 15
TEMPERATURE = 0.05
KNN_WEIGHT = 0.6
# The shipped score is sigmoid(logit - offset): the offset puts the threshold 0.5 where
# FINE_HELD of the fine lines are held in cross-validation.
FINE_HELD = 0.03
# Abuse is weighted above fine comments: a missed insult reaches readers at once,
# a held civil comment waits for a moderator; the threshold then keeps civil holds rare.
TOXIC_WEIGHT = 1.0

Floats = npt.NDArray[np.float64]


def read(name: str) -> list[tuple[str, str]]:
    """(kind, text) for each line of a training file."""
    rows = []
    for line in (TRAINING / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, text = line.split("\t", 1)
            rows.append((kind, text))
    return rows


def fit(x: Floats, y: Floats, weights: Floats, l2: float = L2) -> tuple[Floats, float]:
    """Weighted logistic regression with an L2 penalty (not on the bias), by Newton steps."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2 * weights.sum())
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ theta)))
        grad = xb.T @ (weights * (p - y)) + penalty * theta
        hess = (xb * (weights * p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def probabilities(x: Floats, w: Floats, b: float) -> Floats:
    out: Floats = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    return out


def knn_logits(x: Floats, bank: Floats, labels: Floats, exclude_self: bool = False) -> Floats:
    """The nearest-examples vote of each row of `x` over `bank`, as a logit (see toxicity.py)."""
    sims = x @ bank.T
    if exclude_self:
        np.fill_diagonal(sims, -1.0)
    out = np.zeros(len(x))
    for i, row in enumerate(sims):
        top = np.argsort(-row)[:NEIGHBOURS]
        weights = np.exp((row[top] - row[top].max()) / TEMPERATURE)
        share = float((weights * labels[top]).sum() / weights.sum())
        share = min(max(share, 0.01), 0.99)
        out[i] = np.log(share / (1 - share))
    return out


def cross_validate(
    x: Floats,
    y: Floats,
    weights: Floats,
    frags: Floats,
    owner: npt.NDArray[np.int64],
    folds: int = 5,
) -> tuple[Floats, Floats]:
    """Each line's combined logit, and each clause's, from a model that did not see the line."""
    rng = np.random.default_rng(11)
    order = rng.permutation(len(y))
    logits = np.zeros(len(y))
    frag_logits = np.zeros(len(frags))
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        w, b = fit(x[train], y[train], weights[train], L2)
        logits[test] = x[test] @ w + b + KNN_WEIGHT * knn_logits(x[test], x[train], y[train])
        mine = np.isin(owner, test)
        frag_logits[mine] = (
            frags[mine] @ w + b + KNN_WEIGHT * knn_logits(frags[mine], x[train], y[train])
        )
    return logits, frag_logits


def offsets(
    logits: Floats, frag_logits: Floats, owner: npt.NDArray[np.int64], y: Floats
) -> tuple[float, float]:
    """The (whole, clause) offsets holding the most abuse with at most FINE_HELD fine held."""
    worst = np.full(len(y), -np.inf)
    np.maximum.at(worst, owner, frag_logits)
    fine = logits[y == 0]
    best = (-1.0, float(np.quantile(fine, 1 - FINE_HELD)), np.inf)
    for whole in np.quantile(fine, np.linspace(1 - FINE_HELD, 1 - FINE_HELD / 3, 12)):
        for clause in np.linspace(whole - 1, whole + 5, 61):
            held = (logits > whole) | (worst > clause)
            if held[y == 0].mean() <= FINE_HELD and held[y == 1].mean() > best[0]:
                best = (float(held[y == 1].mean()), float(whole), float(clause))
    return best[1], best[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report only; write nothing")
    args = parser.parse_args(argv)
    toxic = read("toxic.tsv") + templates.toxic()
    fine = read("fine.tsv") + templates.fine()
    texts = [t for _, t in toxic] + [t for _, t in fine]
    y = np.array([1.0] * len(toxic) + [0.0] * len(fine))
    weights = np.where(y == 1, TOXIC_WEIGHT, 1.0)
    model = load_sentence_model()
    chunked = model.embed(texts)
    x = np.zeros((len(texts), len(chunked[0][0].vector)))
    frag_rows: list[npt.NDArray[np.float32]] = []
    owners: list[int] = []
    for i, (text, chunks) in enumerate(zip(texts, chunked, strict=True)):
        v = np.mean([c.vector for c in chunks], axis=0)
        x[i] = v / (float(np.linalg.norm(v)) or 1.0)
        for chunk in chunks:
            for fragment in chunk.fragments(text):
                frag_rows.append(fragment.vector)
                owners.append(i)
    frags = np.array(frag_rows, dtype=np.float64).reshape(-1, x.shape[1])
    owner = np.array(owners, dtype=np.int64)
    cv_logits, cv_frags = cross_validate(x, y, weights, frags, owner)
    offset, frag_offset = offsets(cv_logits, cv_frags, owner, y)
    w, b = fit(x, y, weights, L2)
    worst = np.full(len(y), -np.inf)
    np.maximum.at(worst, owner, cv_frags)
    held = (cv_logits > offset) | (worst > frag_offset)
    whole_only = cv_logits > float(np.quantile(cv_logits[y == 0], 1 - FINE_HELD))
    cv = {
        "toxic_held": round(float(held[y == 1].mean()), 4),
        "fine_held": round(float(held[y == 0].mean()), 4),
        "whole_only_toxic_held": round(float(whole_only[y == 1].mean()), 4),
        "whole_only_fine_held": round(float(whole_only[y == 0].mean()), 4),
    }
    by_kind: dict[str, list[bool]] = {}
    for (kind, _), flag in zip(toxic + fine, held, strict=True):
        by_kind.setdefault(kind, []).append(bool(flag))
    kinds = {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())}
    print(
        f"training set: {len(toxic)} abusive, {len(fine)} fine, {len(frags)} clauses ({model.name})"
    )
    print(
        f"5-fold cross-validation at {THRESHOLD}: abuse held {cv['toxic_held']:.1%}, "
        f"fine held {cv['fine_held']:.1%} (offsets {offset:.3f} whole, {frag_offset:.3f} clause); "
        f"whole chunks only: {cv['whole_only_toxic_held']:.1%} / {cv['whole_only_fine_held']:.1%}"
    )
    for kind, rate in kinds.items():
        print(f"  {kind:14} {rate:6.1%} held")
    if args.check:
        return 0
    document = {
        "embedding": MODEL_NAME,
        "kind": "logistic regression + nearest examples over unit sentence and clause vectors",
        "threshold": THRESHOLD,
        "bias": round(b, 6),
        "offset": round(offset, 6),
        "fragment_offset": round(frag_offset, 6),
        "neighbours": NEIGHBOURS,
        "temperature": TEMPERATURE,
        "knn_weight": KNN_WEIGHT,
        "weights": [round(float(v), 6) for v in w],
        "trained_on": {"abusive": len(toxic), "fine": len(fine)},
        "cross_validation": {**cv, "by_kind": kinds},
        "l2": L2,
        "retrain": "python -m commentsvc.moderation.train (see docs/toxicity.md)",
    }
    MODEL_FILE.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    np.savez_compressed(EXAMPLES_FILE, vectors=x.astype(np.float16), labels=y.astype(np.int8))
    print(f"wrote {MODEL_FILE.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
