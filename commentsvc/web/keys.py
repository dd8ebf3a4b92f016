"""Typed application keys: every shared object on the app, in one place."""

from __future__ import annotations

from aiohttp import web

from commentsvc.config import Settings
from commentsvc.runtime import Runtime
from commentsvc.web.metrics import Metrics

SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)
METRICS = web.AppKey("metrics", Metrics)
