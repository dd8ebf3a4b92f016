"""What a moderation stage sees and how it plugs into the pipeline."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from commentsvc.models import Reason
from commentsvc.policy import Policy


@dataclass(frozen=True, slots=True)
class BanRule:
    """An active ban: kind is email, ip (an ip hash), domain or name."""

    kind: str
    value: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the worker looked up before moderating (the only I/O-derived input)."""

    approved_by_author: int = 0
    duplicates_on_site: int = 0
    recent_by_ip: int = 0
    bans: tuple[BanRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """One comment under moderation, with its site's policy."""

    body: str
    author_name: str = "Guest"
    site_id: str = ""
    author_email: str | None = None
    ip_hash: str | None = None
    honeypot: bool = False
    policy: Policy = field(default_factory=Policy)
    facts: Facts = field(default_factory=Facts)


class Stage(Protocol):
    """A moderation stage: takes a batch, returns the reasons for each item.

    Stages are batch-shaped so a stage with a costly model (toxicity) scores a
    whole batch in one call; simple stages subclass `PerItemStage`.
    """

    name: str

    def evaluate(self, items: Sequence[Item]) -> list[list[Reason]]: ...


class PerItemStage(abc.ABC):
    """Base for stages that look at one comment at a time."""

    name = "stage"

    def evaluate(self, items: Sequence[Item]) -> list[list[Reason]]:
        return [self.check(item) for item in items]

    @abc.abstractmethod
    def check(self, item: Item) -> list[Reason]:
        """The reasons this stage finds in one comment (empty when clean)."""
