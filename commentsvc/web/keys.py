"""Typed application keys: every shared object on the app, in one place."""

from __future__ import annotations

from aiohttp import web

from commentsvc.auth import Accounts, Authenticator
from commentsvc.config import Settings
from commentsvc.review.decisions import Decisions
from commentsvc.rights.service import PeopleService
from commentsvc.runtime import Runtime
from commentsvc.store.schema_watch import SchemaWatch
from commentsvc.web.live import LiveHub
from commentsvc.web.metrics import Metrics
from commentsvc.web.shared_metrics import SharedHttpCounters

SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)
METRICS = web.AppKey("metrics", Metrics)
SHARED_HTTP = web.AppKey("shared_http", SharedHttpCounters)
LIVE = web.AppKey("live", LiveHub)
ACCOUNTS = web.AppKey("accounts", Accounts)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
DECISIONS = web.AppKey("decisions", Decisions)
PEOPLE = web.AppKey("people", PeopleService)
SCHEMA = web.AppKey("schema", SchemaWatch)
