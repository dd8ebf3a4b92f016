"""The toxicity stage with the shipped sentence model: what it holds, and why.

The model loads once per test process (`load_toxicity_model` caches it). Rates
on the held-out corpora are floors a regression would break, not timings; the
figures themselves are printed by `make bench-toxicity`.
"""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from commentsvc.models import Action
from commentsvc.moderation import sentence_model, toxicity
from commentsvc.moderation.learning import Example, SiteMemory, report
from commentsvc.moderation.toxicity import ToxicityModel, ToxicityStage, load_toxicity_stage
from commentsvc.moderation.train import read
from commentsvc.moderation.types import Item
from commentsvc.moderation.word_stage import WordStage
from commentsvc.policy import Policy
from tests.moderation.corpora import load, load_kinds

pytest.importorskip("onnxruntime", reason="the toxicity extra is not installed")


@pytest.fixture(scope="module")
def model() -> ToxicityModel:
    return toxicity.load_toxicity_model()


def at(threshold: float | None, learn: bool = True) -> Policy:
    return Policy(toxicity_threshold=threshold, learn_from_moderators=learn)


def test_holds_at_the_threshold_and_names_score_threshold_and_phrase(model: ToxicityModel) -> None:
    text = "Thanks for the update. You are a worthless, brainless clown and everyone here knows it."
    held, thanks, unscored = ToxicityStage(model).evaluate(
        [
            Item(text, policy=at(0.5)),
            Item("Thanks for the report, a fair summary of the meeting.", policy=at(0.5)),
            Item(text),  # its site has no threshold: not scored
        ]
    )
    assert [r.action for r in held] == [Action.HOLD]
    reason = held[0]
    assert reason.rule == "toxicity"
    assert reason.detail.startswith("toxicity score ")
    assert "(threshold 0.50)" in reason.detail and "driven by" in reason.detail
    (span,) = reason.spans
    phrase = text[span.start : span.end]
    assert f'"{phrase}"' in reason.detail
    assert any(w in phrase for w in ("worthless", "brainless", "clown"))
    assert thanks == [] and unscored == []


def test_a_long_comment_is_judged_by_its_worst_sentence(model: ToxicityModel) -> None:
    civil = "The council published the budget for the new library on Monday. " * 12
    [score_civil] = model.scores([civil])
    [score_mixed] = model.scores([civil + "Honestly, you are a pathetic little man."])
    assert score_civil < 0.5 <= score_mixed


def test_an_insult_is_not_drowned_by_the_topic_of_its_sentence(model: ToxicityModel) -> None:
    """Clauses are scored too: the insult half holds, the same topic said civilly passes."""
    text = "Right, you gormless weasel, the ferry timetable changed in May and it's on the website."
    civil = "I disagree, the ferry timetable changed in May and it's on the website."
    (chunk,) = model.sentences.embed([text])[0]
    clauses = chunk.fragments(text)
    assert [text[c.start : c.end] for c in clauses] == [
        "you gormless weasel",
        "the ferry timetable changed in May and it's on the website",
    ]
    whole_only, _ = model.logit(chunk.vector)
    assert whole_only < 0  # the whole sentence alone would pass
    held, passed = ToxicityStage(model).evaluate(
        [Item(text, policy=at(0.5)), Item(civil, policy=at(0.5))]
    )
    (reason,) = held
    (span,) = reason.spans
    assert "weasel" in text[span.start : span.end] and "ferry" not in text[span.start : span.end]
    assert passed == []


def test_unavailable_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    monkeypatch.setattr(sentence_model, "_loaded", None)
    monkeypatch.setattr(toxicity, "_model", None)
    with caplog.at_level(logging.WARNING, logger="commentsvc.moderation.toxicity"):
        assert load_toxicity_stage() is None
    assert "toxicity stage unavailable" in caplog.text
    assert "commentsvc[toxicity]" in caplog.text


def test_held_out_corpora(model: ToxicityModel) -> None:
    """Abuse with no listed word is held; heated-but-civil and clean comments pass."""
    abusive = [t for _, t in load_kinds("abusive.tsv")]
    civil = [t for _, t in load_kinds("civil.tsv")]
    clean = load("clean.txt")
    assert len(abusive) >= 400 and len(civil) >= 400
    held = [np.mean([s >= model.threshold for s in model.scores(c)]) for c in (abusive, civil)]
    clean_held = np.mean([s >= model.threshold for s in model.scores(clean)])
    assert held[0] >= 0.85  # measured 86.7% (make bench-toxicity)
    assert held[1] <= 0.01  # measured 0.5% (2 of 421, both "heated")
    assert clean_held <= 0.01  # measured 0 of 341; the highest score is 0.40


def test_corpora_hold_no_listed_word_and_stay_apart_from_training(model: ToxicityModel) -> None:
    words = WordStage()
    strict = Policy(ordinary_words_pass=False)
    test_lines = [t for name in ("abusive.tsv", "civil.tsv") for _, t in load_kinds(name)]
    assert [t for t in test_lines if words.check(Item(t, policy=strict))] == []
    held_out = test_lines + load("clean.txt") + [t for _, t in load_kinds("clean_traps.tsv")]
    training = [t for name in ("toxic.tsv", "fine.tsv") for _, t in read(name)]
    assert not set(training) & set(held_out)
    near = model.sentences.vectors(held_out) @ model.sentences.vectors(training).T
    assert float(near.max()) < 0.97  # no test line is a paraphrase-copy of a training line


NEW_KIND = [  # a site-specific taunt the shipped model lets through
    f"Another lovely day at the {place}, {name}. The {thing} misses you."
    for place in ("allotments", "lido", "bowls club", "harbour wall", "bandstand")
    for name in (
        "Gerald",
        "Maureen",
        "Trevor",
        "Sandra",
        "Clive",
        "Denise",
        "Nigel",
        "Pam",
        "Keith",
        "Joy",
    )
    for thing in ("pond",)
]


def test_a_sites_rejections_teach_it_a_new_kind_of_abuse(model: ToxicityModel) -> None:
    assert len(NEW_KIND) == 50
    fresh = [
        "Another lovely day at the cricket pavilion, Brian. The pond misses you.",
        "Another lovely day at the boating lake, Linda. The pond misses you.",
    ]
    civil = "Another lovely day at the allotments, the runner beans are finally up."
    stage_policy = at(0.5)
    before = ToxicityStage(model).evaluate([Item(t, policy=stage_policy) for t in fresh])
    assert before == [[], []]

    vectors = model.sentences.vectors(NEW_KIND)
    examples = [Example(f"c{i}", t, 1, i) for i, t in enumerate(NEW_KIND)]

    class One:
        def __init__(self) -> None:
            self.memory = SiteMemory(examples, vectors)

        def consult(self, site_id: str, vector: np.ndarray, logit: float):  # type: ignore[no-untyped-def]
            return self.memory.adjust(vector, logit) if site_id == "news" else None

    memories = One()
    stage = ToxicityStage(model, memories)
    after = stage.evaluate(
        [Item(t, site_id="news", policy=stage_policy) for t in fresh]
        + [Item(fresh[0], site_id="other", policy=stage_policy)]
        + [Item(fresh[0], site_id="news", policy=at(0.5, learn=False))]
        + [Item(civil, site_id="news", policy=stage_policy)]
    )
    for reasons in after[:2]:
        (reason,) = reasons
        assert reason.rule == "toxicity"
        assert "learned from 50 moderator decisions on this site" in reason.detail
        assert "they rejected" in reason.detail
    assert after[2:] == [[], [], []]  # another site, learning off, a civil line alike in form

    summary = report(model, memories.memory, 0.5)
    assert summary["learned_from"] == 50 and summary["last"] == 50
    assert summary["shipped_model"]["held"] < 10
    assert summary["with_learning"]["held_and_rejected"] >= 45
