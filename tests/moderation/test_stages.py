"""The stages that need no word list, and the policy step."""

from __future__ import annotations

from commentsvc.models import Action, Status
from commentsvc.moderation.pipeline import Pipeline, default_stages
from commentsvc.moderation.types import BanRule, Facts, Item
from commentsvc.policy import Policy


def verdict(body: str = "A calm remark.", **kwargs: object):  # type: ignore[no-untyped-def]
    policy = kwargs.pop("policy", Policy())
    facts = kwargs.pop("facts", Facts())
    item = Item(body=body, policy=policy, facts=facts, **kwargs)  # type: ignore[arg-type]
    return Pipeline(default_stages()).run([item])[0]


def rules(v) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.rule for r in v.reasons]


def test_clean_comment_is_approved() -> None:
    v = verdict()
    assert v.action is Action.APPROVE and v.status is Status.APPROVED and v.reasons == ()


def test_moderation_and_disallowed_keys_match_like_wordpress() -> None:
    policy = Policy(moderation_keys=("casino",), disallowed_keys=("cheap-pills.example",))
    held = verdict("Try the CASINOS downtown", policy=policy)
    assert held.action is Action.HOLD and rules(held) == ["moderation_key"]
    assert held.reasons[0].detail == '"casino" in body'
    assert held.reasons[0].spans[0].start == 8
    spam = verdict("visit https://cheap-pills.example/now", policy=policy)
    assert spam.action is Action.SPAM and rules(spam) == ["disallowed_key"]
    by_email = verdict("hello", policy=policy, author_email="casino@example.org")
    assert by_email.reasons[0].detail == '"casino" in email'


def test_links_at_the_limit_hold() -> None:
    assert verdict("one https://a.example").action is Action.APPROVE
    v = verdict("two https://a.example and www.b.example")
    assert v.action is Action.HOLD and v.reasons[0].detail == "2 links (limit 2)"
    assert (
        verdict("two https://a.example www.b.example", policy=Policy(max_links=3)).action
        is Action.APPROVE
    )


def test_bans() -> None:
    bans = (
        BanRule("email", "bad@example.org", "abuse"),
        BanRule("domain", "spam.example"),
        BanRule("ip", "hash123"),
        BanRule("name", "Troll"),
    )
    facts = Facts(bans=bans)
    assert rules(verdict(author_email="BAD@example.org", facts=facts)) == ["ban"]
    assert verdict(author_email="x@mail.spam.example", facts=facts).action is Action.SPAM
    assert verdict("see https://www.spam.example/x", facts=facts).action is Action.SPAM
    assert verdict(ip_hash="hash123", facts=facts).action is Action.SPAM
    rejected = verdict(author_name="troll", facts=facts, policy=Policy(ban_action="reject"))
    assert rejected.action is Action.REJECT and "banned name" in rejected.reasons[0].detail
    assert verdict(author_email="good@notspam.example", facts=facts).action is Action.APPROVE


def test_spam_signals() -> None:
    assert rules(verdict(honeypot=True)) == ["honeypot"]
    dup_body = "This exact long sentence appears in many threads today."
    assert verdict(dup_body, facts=Facts(duplicates_on_site=2)).action is Action.SPAM
    assert verdict("+1", facts=Facts(duplicates_on_site=9)).action is Action.APPROVE  # short
    assert rules(verdict(facts=Facts(recent_by_ip=5))) == ["flood"]
    assert rules(verdict("THIS IS OUTRAGEOUS AND EVERYONE SHOULD KNOW IT")) == ["all_caps"]
    assert verdict("OK FINE").action is Action.APPROVE  # too short to be shouting


def test_first_time_hold_and_premoderation() -> None:
    policy = Policy(hold_first_time=True)
    assert rules(verdict(policy=policy)) == ["first_time"]
    assert verdict(policy=policy, facts=Facts(approved_by_author=1)).action is Action.APPROVE
    pre = verdict(policy=Policy(mode="premoderate"))
    assert pre.action is Action.HOLD and rules(pre) == ["premoderate"]
    spam = verdict(honeypot=True, policy=Policy(mode="premoderate"))
    assert spam.action is Action.SPAM and rules(spam) == ["honeypot"]


def test_most_severe_reason_wins_and_all_are_recorded() -> None:
    v = verdict("BUY NOW AT HTTPS://A.EXAMPLE AND HTTPS://B.EXAMPLE TODAY", honeypot=True)
    assert v.action is Action.SPAM
    assert set(rules(v)) == {"honeypot", "links", "all_caps"}


def test_batch_results_line_up() -> None:
    items = [Item(body="fine"), Item(body="x", honeypot=True), Item(body="ok")]
    assert [v.action for v in Pipeline(default_stages()).run(items)] == [
        Action.APPROVE,
        Action.SPAM,
        Action.APPROVE,
    ]
