"""The Store: one object over the database, its parts grouped by what they hold."""

from __future__ import annotations

from commentsvc.store.alerts import AlertStore
from commentsvc.store.bans import BanStore
from commentsvc.store.comments import CommentStore
from commentsvc.store.corrections import CorrectionStore
from commentsvc.store.deliveries import DeliveryStore
from commentsvc.store.desk import DeskStore
from commentsvc.store.engine import Database
from commentsvc.store.migrate import migrate
from commentsvc.store.moderators import ModeratorStore
from commentsvc.store.people import PeopleStore
from commentsvc.store.reactions import ReactionStore
from commentsvc.store.review import ReviewStore
from commentsvc.store.sites import SiteStore
from commentsvc.store.subscriptions import SubscriptionStore
from commentsvc.store.threads import ThreadStore
from commentsvc.store.webhooks import WebhookStore


class Store:
    """SQL storage on SQLite or PostgreSQL through one code path."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sites = SiteStore(db)
        self.threads = ThreadStore(db)
        self.comments = CommentStore(db)
        self.reactions = ReactionStore(db)
        self.bans = BanStore(db)
        self.subscriptions = SubscriptionStore(db)
        self.deliveries = DeliveryStore(db)
        self.alerts = AlertStore(db)  # what moderators' alerts read
        self.moderators = ModeratorStore(db)
        self.review = ReviewStore(db)
        self.people = PeopleStore(db)
        self.desk = DeskStore(db)  # issue 14: auto-close, featured, staff replies
        self.webhooks = WebhookStore(db)
        self.corrections = CorrectionStore(db)  # issue 16: the corrections desk

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(Database(url))

    async def migrate(self) -> str:
        return await migrate(self.db)

    async def ping(self) -> None:
        await self.db.ping()

    async def close(self) -> None:
        await self.db.dispose()
