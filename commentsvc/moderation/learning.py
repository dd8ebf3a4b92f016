"""Learning from the moderators: each site's approvals and rejections move the toxicity score.

Every approve or reject a moderator gives a comment (held for review, or
already published) is a labelled example for that comment's site: reject is
abuse, approve is fine. The examples are read from the audit trail (the
`events` table: no table of their own, and a comment deleted or erased takes
its example with it); the newest `MAX_EXAMPLES` per site count.

`SiteMemory` holds one site's examples as sentence vectors. For a new chunk
it finds the site's examples at cosine similarity `NEAR` or more (at most
`NEIGHBOURS`) and treats them as pseudo-counts, each weighing up to
`WEIGHT` as its similarity goes from `NEAR` to 1, on top of the shipped
model's probability (which weighs `PRIOR`): several rejections of comments
like it raise the score, approvals lower it, one alone does little, and
comments unlike anything the moderators decided keep the shipped score.

`ModeratorMemory` is the worker's: `comments.lessons` reads the examples of
every site whose policy scores toxicity and has `learn_from_moderators` on,
in the background, and the memory embeds only examples it has not seen. `report` says what a site's
memory has learned and what it would have done on the last 500 decisions
(each judged without itself), for the benchmark and the tests.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from commentsvc.moderation.sentence_model import DIMENSIONS, Vector

if TYPE_CHECKING:
    from commentsvc.moderation.toxicity import ToxicityModel

log = logging.getLogger(__name__)

MAX_EXAMPLES = 2000
NEAR = 0.5
NEIGHBOURS = 10
WEIGHT = 2.0
PRIOR = 1.0
LABELS = {"reject": 1, "approve": 0}
"""A moderator's action on a comment, as an example's label."""


@dataclass(frozen=True, slots=True)
class Example:
    comment_id: str
    body: str
    label: int  # 1: a moderator rejected it, 0: approved
    event_id: int


@dataclass(frozen=True, slots=True)
class Learned:
    """How a site's memory moved one chunk's score."""

    logit: float
    direction: Vector
    shipped: float  # the shipped model's probability
    score: float
    rejected: int  # near examples moderators rejected
    approved: int
    closest: str
    similarity: float
    learned_from: int

    @property
    def raised(self) -> bool:
        return self.score > self.shipped

    def describe(self) -> str:
        verb, count = ("rejected", self.rejected) if self.raised else ("approved", self.approved)
        return (
            f"learned from {self.learned_from} moderator decisions on this site: "
            f"like {count} comment(s) they {verb} (shipped model {self.shipped:.2f}; "
            f'closest, {self.similarity:.2f} alike: "{_snippet(self.closest)}")'
        )


def _snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SiteMemory:
    """One site's labelled examples as unit vectors."""

    def __init__(self, examples: Sequence[Example], vectors: Vector) -> None:
        self.examples = list(examples)
        self.vectors = vectors.reshape(-1, DIMENSIONS).astype(np.float32)
        self.labels = np.array([e.label for e in examples], dtype=np.float32)

    def __len__(self) -> int:
        return len(self.examples)

    def adjust(self, vector: Vector, logit: float, skip: int | None = None) -> Learned | None:
        """The site's view of a chunk the shipped model gave `logit`; None if nothing is near."""
        if not self.examples:
            return None
        sims = self.vectors @ vector
        if skip is not None:
            sims[skip] = -1.0
        near = np.flatnonzero(sims >= NEAR)
        if near.size == 0:
            return None
        near = near[np.argsort(-sims[near])][:NEIGHBOURS]
        weights = WEIGHT * (sims[near] - NEAR) / (1 - NEAR)
        labels = self.labels[near]
        shipped = 1.0 / (1.0 + math.exp(-logit))
        rejected = float((weights * labels).sum())
        total = float(weights.sum())
        score = (rejected + PRIOR * shipped) / (total + PRIOR)
        score = min(max(score, 1e-4), 1 - 1e-4)
        signed = weights * (2 * labels - 1)
        direction = (signed[:, None] * self.vectors[near]).sum(axis=0) / max(total, 1e-6)
        first = int(near[0])
        return Learned(
            logit=math.log(score / (1 - score)),
            direction=direction.astype(np.float32),
            shipped=shipped,
            score=score,
            rejected=int((labels == 1).sum()),
            approved=int((labels == 0).sum()),
            closest=self.examples[first].body,
            similarity=float(sims[first]),
            learned_from=len(self.examples),
        )


class ModeratorMemory:
    """Every site's memory, for the toxicity stage; refreshed from the database."""

    def __init__(self, model: ToxicityModel) -> None:
        self.model = model
        self.sites: dict[str, SiteMemory] = {}
        self._vectors: dict[tuple[str, str], Vector] = {}  # (comment id, body): vector

    def consult(self, site_id: str, vector: Vector, logit: float) -> Learned | None:
        memory = self.sites.get(site_id)
        return memory.adjust(vector, logit) if memory is not None else None

    async def update(self, wanted: dict[str, list[Example]]) -> None:
        """Take each learning site's examples (from `comments.lessons`); embed only the
        new ones, off the event loop. A site left out forgets what it learned."""
        new = [
            e
            for found in wanted.values()
            for e in found
            if (e.comment_id, e.body) not in self._vectors
        ]
        if new:
            vectors = await asyncio.to_thread(self.model.sentences.vectors, [e.body for e in new])
            self._vectors.update(
                ((e.comment_id, e.body), v) for e, v in zip(new, vectors, strict=True)
            )
        sites = {}
        for site_id, found in wanted.items():
            vectors = np.array(
                [self._vectors[(e.comment_id, e.body)] for e in found], dtype=np.float32
            )
            sites[site_id] = SiteMemory(found, vectors)
        keep = {(e.comment_id, e.body) for found in wanted.values() for e in found}
        self._vectors = {k: v for k, v in self._vectors.items() if k in keep}
        self.sites = sites
        for site_id, memory in sites.items():
            log.debug("site %s: learned from %d moderator decisions", site_id, len(memory))


def report(
    model: ToxicityModel, memory: SiteMemory, threshold: float, last: int = 500
) -> dict[str, Any]:
    """What the site's memory learned, and what it would have done on its last decisions.

    Each of the last `last` decisions is judged by the shipped model alone and
    with the site's memory of every *other* decision, and compared with what
    the moderator decided.
    """
    start = max(0, len(memory) - last)
    rows = []
    for i in range(start, len(memory)):
        vector = memory.vectors[i]
        logit, _ = model.logit(vector)
        shipped = 1.0 / (1.0 + math.exp(-logit))
        learned = memory.adjust(vector, logit, skip=i)
        site = learned.score if learned is not None else shipped
        rows.append((memory.examples[i].label, shipped >= threshold, site >= threshold))

    def tally(column: int) -> dict[str, int]:
        held = [r for r in rows if r[column]]
        return {
            "held": len(held),
            "held_and_rejected": sum(1 for r in held if r[0] == 1),
            "passed_and_approved": sum(1 for r in rows if not r[column] and r[0] == 0),
            "agreed": sum(1 for r in rows if bool(r[column]) == (r[0] == 1)),
        }

    return {
        "learned_from": len(memory),
        "rejected": int(memory.labels.sum()),
        "approved": int(len(memory) - memory.labels.sum()),
        "threshold": threshold,
        "last": len(rows),
        "moderators_rejected": sum(1 for r in rows if r[0] == 1),
        "shipped_model": tally(1),
        "with_learning": tally(2),
        "changed": sum(1 for r in rows if r[1] != r[2]),
    }
