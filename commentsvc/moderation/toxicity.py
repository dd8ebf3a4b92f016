"""Stage 8 of DESIGN.md §5 (extra `commentsvc[toxicity]`): a model that reads sentences.

Each comment is cut into chunks of whole sentences and embedded by a small
sentence model (all-MiniLM-L6-v2 on onnxruntime, `sentence_model`). A
classifier trained on a labelled set this project writes and ships
(`models/toxicity.json`, `models/toxicity-examples.npz`; retrain with
`python -m commentsvc.moderation.train`, see docs/toxicity.md) scores each
chunk: a logistic regression over the sentence vector plus a vote of the
nearest labelled examples. A chunk of several clauses is also scored clause
by clause (`Chunk.fragments`: the chunk's token states pooled per clause, no
extra model time) with a stricter offset, so an insult is not drowned by the
topic half of its sentence. The comment's score is its worst chunk's or
clause's; it is held at or above its site's `toxicity_threshold` (0.5 is the
calibrated one).
Sites without a threshold are not scored.

A site whose moderators have approved or rejected comments has its own
memory of them (`learning.SiteMemory`, refreshed in the background by the
worker): their verdicts on the nearest such comments move the score, and the
reason says so. `learn_from_moderators: false` in a site's policy turns that
off.

Every hold is explained: the reason names the score, the threshold and the
words that drove it, with their span. The score is linear in the chunk's
vector, and the vector is the scaled sum of the token states, so the score
splits exactly into per-word shares; the span is the run of words with the
largest share.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from commentsvc.models import Action, Reason, Span
from commentsvc.moderation.sentence_model import (
    Chunk,
    ModelUnavailable,
    SentenceModel,
    Vector,
    load_sentence_model,
)
from commentsvc.moderation.types import Item

if TYPE_CHECKING:
    from commentsvc.moderation.learning import Learned

log = logging.getLogger(__name__)

MODELS = Path(__file__).parent / "models"
MAX_PHRASE_WORDS = 8


class SiteMemories(Protocol):
    """What the stage asks of the moderators' memory (commentsvc.moderation.learning)."""

    def consult(self, site_id: str, vector: Vector, logit: float) -> Learned | None: ...


@dataclass(frozen=True, slots=True)
class Assessment:
    """The score of one comment and what drove it."""

    score: float
    chunk: Chunk | None
    direction: Vector | None
    learned: Learned | None = None

    def phrase(self, text: str) -> tuple[str, Span | None]:
        """The run of words that raised the score most, and its span in the text."""
        if self.chunk is None or self.direction is None:
            return "", None
        words = self.chunk.contributions(self.direction)
        best, best_span, run, run_start = 0.0, None, 0.0, 0
        for i, (_s, _e, share) in enumerate(words):  # the largest-sum run (Kadane)
            if run <= 0:
                run, run_start = 0.0, i
            run += share
            while i - run_start + 1 > MAX_PHRASE_WORDS:
                run -= words[run_start][2]
                run_start += 1
            if run > best:
                best, best_span = run, (words[run_start][0], words[i][1])
        if best_span is None:
            return "", None
        start, end = best_span
        return text[start:end], Span(start, end)


class ToxicityModel:
    """The shipped classifier over the sentence model's vectors."""

    def __init__(self, sentences: SentenceModel, path: Path = MODELS) -> None:
        self.sentences = sentences
        doc = json.loads((path / "toxicity.json").read_text(encoding="utf-8"))
        self.threshold = float(doc["threshold"])
        self.weights = np.asarray(doc["weights"], dtype=np.float32)
        self.bias = float(doc["bias"]) - float(doc["offset"])
        # A clause's logit is shifted by its own (stricter) offset instead.
        self.fragment_shift = float(doc["offset"]) - float(doc.get("fragment_offset", math.inf))
        self.neighbours = int(doc["neighbours"])
        self.temperature = float(doc["temperature"])
        self.knn_weight = float(doc["knn_weight"])
        with np.load(path / "toxicity-examples.npz") as bank:
            self.bank = bank["vectors"].astype(np.float32)
            self.labels = bank["labels"].astype(np.float32)

    def logit(self, vector: Vector) -> tuple[float, Vector]:
        """The shipped model's logit for one unit vector, and the direction it is linear in."""
        logits, directions = self.logits(vector[None, :])
        return float(logits[0]), directions[0]

    def logits(self, vectors: Vector) -> tuple[npt.NDArray[np.float64], Vector]:
        """`logit` for each row of `vectors` (one matrix product for the whole batch)."""
        sims = vectors @ self.bank.T
        top = np.argpartition(-sims, self.neighbours, axis=1)[:, : self.neighbours]
        near = np.take_along_axis(sims, top, axis=1)
        weights = np.exp((near - near.max(axis=1, keepdims=True)) / self.temperature)
        total = weights.sum(axis=1)
        share = np.clip((weights * self.labels[top]).sum(axis=1) / total, 0.01, 0.99)
        knn = np.log(share / (1 - share))
        # Toward the abusive neighbours and away from the fine ones, for the explanation.
        signed = weights * (2 * self.labels[top] - 1) / total[:, None]
        toward = np.einsum("nk,nkd->nd", signed, self.bank[top])
        directions = (self.weights[None, :] + self.knn_weight * toward).astype(np.float32)
        linear = (vectors @ self.weights).astype(np.float64)
        return linear + self.bias + self.knn_weight * knn, directions

    def assess(
        self,
        texts: Sequence[str],
        sites: Sequence[str] = (),
        memories: SiteMemories | None = None,
    ) -> list[Assessment]:
        """Score a batch of texts in one model call (sites: whose memory to consult, if any)."""
        embedded = self.sentences.embed(texts)
        # Every chunk, then its clauses: (text, chunk, piece, is_clause), scored in one go.
        pieces: list[tuple[int, Chunk, Chunk, bool]] = []
        for i, chunks in enumerate(embedded):
            for chunk in chunks:
                pieces.append((i, chunk, chunk, False))
                pieces += [(i, chunk, f, True) for f in chunk.fragments(texts[i])]
        if pieces:
            logits, directions = self.logits(np.stack([p[2].vector for p in pieces]))
        # Each chunk's worst piece: its own logit, or a clause's with the clause offset.
        worst: dict[int, tuple[float, Chunk, Vector, int]] = {}
        for k, (i, chunk, piece, clause) in enumerate(pieces):
            logit = float(logits[k]) + (self.fragment_shift if clause else 0.0)
            key = id(chunk)
            if key not in worst or logit > worst[key][0]:
                worst[key] = (logit, piece, directions[k], i)
        out: list[Assessment | None] = [None] * len(texts)
        for i, chunks in enumerate(embedded):
            site = sites[i] if i < len(sites) else ""
            for chunk in chunks:
                logit, driver, direction, _ = worst[id(chunk)]
                learned = memories.consult(site, chunk.vector, logit) if memories and site else None
                if learned is not None:
                    logit, direction, driver = learned.logit, learned.direction, chunk
                score = 1.0 / (1.0 + math.exp(-logit))
                best = out[i]
                if best is None or score > best.score:
                    out[i] = Assessment(score, driver, direction, learned)
        return [a or Assessment(0.0, None, None) for a in out]

    def scores(self, texts: Sequence[str]) -> list[float]:
        return [a.score for a in self.assess(texts)]


class ToxicityStage:
    """Holds comments the model scores at or above the site's threshold."""

    name = "toxicity"

    def __init__(self, model: ToxicityModel, memories: SiteMemories | None = None) -> None:
        self.model = model
        self.memories = memories

    def evaluate(self, items: Sequence[Item]) -> list[list[Reason]]:
        reasons: list[list[Reason]] = [[] for _ in items]
        scored = [i for i, item in enumerate(items) if item.policy.toxicity_threshold is not None]
        if not scored:
            return reasons
        sites = [items[i].site_id if items[i].policy.learn_from_moderators else "" for i in scored]
        found = self.model.assess([items[i].body for i in scored], sites, self.memories)
        for i, assessment in zip(scored, found, strict=True):
            threshold = items[i].policy.toxicity_threshold
            if threshold is not None and assessment.score >= threshold:
                reasons[i].append(explain(items[i].body, assessment, threshold))
        return reasons


def explain(text: str, assessment: Assessment, threshold: float) -> Reason:
    """The reason for a hold: score, threshold, the driving phrase and, if any, what was learned."""
    phrase, span = assessment.phrase(text)
    detail = f"toxicity score {assessment.score:.2f} (threshold {threshold:.2f})"
    if phrase:
        detail += f', driven by "{_short(phrase)}"'
    learned = assessment.learned
    if learned is not None:
        detail += f"; {learned.describe()}"
    return Reason("toxicity", detail, Action.HOLD, (span,) if span else ())


def _short(phrase: str, limit: int = 80) -> str:
    phrase = " ".join(phrase.split())
    return phrase if len(phrase) <= limit else phrase[: limit - 1] + "…"


_model: ToxicityModel | None = None


def load_toxicity_model() -> ToxicityModel:
    """The shipped model, loaded once per process (`ModelUnavailable` without the extra)."""
    global _model
    if _model is None:
        _model = ToxicityModel(load_sentence_model())
    return _model


def load_toxicity_stage(memories: SiteMemories | None = None) -> ToxicityStage | None:
    """The stage with the shipped model, or None (logged) when the extra is not installed.

    Without `memories` the stage gets an empty `learning.ModeratorMemory`, which
    the moderation worker refreshes in the background (`comments.lessons`).
    """
    try:
        model = load_toxicity_model()
    except ModelUnavailable as exc:
        log.warning("toxicity stage unavailable: %s", exc)
        return None
    if memories is None:
        from commentsvc.moderation.learning import ModeratorMemory

        memories = ModeratorMemory(model)
    return ToxicityStage(model, memories)
