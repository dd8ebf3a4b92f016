"""Site policy: validated, every broken field listed."""

from __future__ import annotations

import pytest

from commentsvc.policy import Policy, PolicyError, policy_fields


def test_defaults_and_round_trip() -> None:
    p = Policy()
    assert (
        p.mode == "auto" and p.profanity == "censor" and p.max_links == 2 and p.flag_threshold == 3
    )
    assert Policy.from_json(p.to_json()) == p
    assert set(policy_fields()) == set(p.to_json())


def test_every_broken_field_is_listed() -> None:
    with pytest.raises(PolicyError) as err:
        Policy.from_json(
            {
                "mode": "chaos",
                "max_links": -1,
                "hold_first_time": "maybe",
                "toxicity_threshold": 3,
                "words_add": "ok",
                "nonsense": 1,
            }
        )
    assert {f for f, _ in err.value.errors} == {
        "mode",
        "max_links",
        "hold_first_time",
        "toxicity_threshold",
        "nonsense",
    }


def test_lists_accept_lines_and_strings_are_coerced() -> None:
    p = Policy.from_json(
        {
            "moderation_keys": "casino\n poker \n\ncasino",
            "max_links": "3",
            "hold_first_time": "true",
            "toxicity_threshold": "0.8",
        }
    )
    assert p.moderation_keys == ("casino", "poker")
    assert p.max_links == 3 and p.hold_first_time is True and p.toxicity_threshold == 0.8
    assert p.replace(toxicity_threshold=None).toxicity_threshold is None
