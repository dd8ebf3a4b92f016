"""The word stage: one explained reason per listed word, acting as the site's policy says."""

from __future__ import annotations

import pytest

from commentsvc.models import Action, Reason, Span
from commentsvc.moderation.pipeline import Pipeline, default_stages
from commentsvc.moderation.types import Item
from commentsvc.moderation.word_stage import WordStage
from commentsvc.policy import Policy


def reasons(body: str, policy: Policy | None = None) -> list[Reason]:
    (found,) = WordStage().evaluate([Item(body, policy=policy or Policy())])
    return found


def test_a_clean_comment_has_no_reason() -> None:
    assert reasons("A classic analysis of the Scunthorpe cocktail scene.") == []


def test_one_reason_per_listed_word_with_the_text_as_typed() -> None:
    body = "What the f u c k, this is sh1t. Total fuck-up, FUCK."
    found = reasons(body)
    assert [r.rule for r in found] == ["words", "words", "words"]
    fuck, shit, fuckup = found
    assert fuckup.detail == 'listed word "fuckup" as "fuck-up"'  # whole, with its hyphen
    assert fuck.detail == 'listed word "fuck" as "f u c k", "FUCK" (2 times)'
    assert [body[s.start : s.end] for s in fuck.spans] == ["f u c k", "FUCK"]
    assert [body[s.start : s.end] for s in fuckup.spans] == ["fuck-up"]
    assert shit.detail == 'listed word "shit" as "sh1t"'
    assert shit.spans == (Span(26, 30),)


def test_a_word_typed_as_listed_is_just_named() -> None:
    (reason,) = reasons("Damn it.")
    assert reason.detail == 'listed word "damn"'


@pytest.mark.parametrize(
    ("profanity", "action"),
    [("censor", Action.CENSOR), ("hold", Action.HOLD), ("reject", Action.REJECT)],
)
def test_the_site_policy_sets_the_action(profanity: str, action: Action) -> None:
    (reason,) = reasons("you ｆｕｃｋ", Policy.from_json({"profanity": profanity}))
    assert reason.action is action


def test_site_additions_and_allowlist() -> None:
    policy = Policy.from_json({"words_add": ["frack"], "words_allow": ["damn"]})
    assert [r.detail for r in reasons("Frack, damn it", policy)] == ['listed word "frack"']


def test_censor_policy_publishes_with_the_words_masked() -> None:
    pipeline = Pipeline(default_stages(words=WordStage()))
    (verdict,) = pipeline.run([Item("You are a f.u.c.k.i.n.g genius 👍")])
    assert verdict.action is Action.APPROVE
    assert verdict.censored_body == "You are a **** genius 👍"
    assert [r.rule for r in verdict.reasons] == ["words"]


def test_hold_and_reject_policies() -> None:
    pipeline = Pipeline(default_stages(words=WordStage()))
    held, rejected, clean = pipeline.run(
        [
            Item("fuuuuck this", policy=Policy.from_json({"profanity": "hold"})),
            Item("fuuuuck this", policy=Policy.from_json({"profanity": "reject"})),
            Item("a classic assassin", policy=Policy.from_json({"profanity": "reject"})),
        ]
    )
    assert held.action is Action.HOLD
    assert held.censored_body is None
    assert rejected.action is Action.REJECT
    assert clean.action is Action.APPROVE
    assert clean.reasons == ()


def test_ordinary_news_words_pass_by_default_and_can_be_caught_again() -> None:
    """better-profanity lists words a news discussion needs; a site keeps them unless it asks."""
    text = "Police said the sniper tried to kill two people near a Nazi-era bunker."
    stage = WordStage()
    assert stage.check(Item(body=text)) == []
    strict = stage.check(Item(body=text, policy=Policy(ordinary_words_pass=False)))
    assert {r.detail.split('"')[1] for r in strict} == {"sniper", "kill", "nazi"}
    one_back = stage.check(Item(body=text, policy=Policy(words_add=("kill",))))
    assert [r.detail.split('"')[1] for r in one_back] == ["kill"]
    assert stage.check(Item(body="what a fucking mess")) != []


def test_every_ordinary_word_is_on_the_list_it_relaxes() -> None:
    from commentsvc.moderation.matcher import default_words
    from commentsvc.moderation.ordinary import ORDINARY_WORDS

    assert set(default_words()) >= ORDINARY_WORDS
