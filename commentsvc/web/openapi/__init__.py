"""The OpenAPI 3.1 description served at /api/openapi.json.

Operations are registered per (method, path) in `OPERATIONS`; a test checks
that they match the router exactly, so a route can't be added undocumented.
Other modules (moderation, notifications, pages) add theirs with `describe`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commentsvc import __version__
from commentsvc.web.openapi import corrections, desk, moderation, people, public, subscriptions
from commentsvc.web.openapi.core import OPERATIONS, SCHEMAS, describe

__all__ = ["OPERATIONS", "describe", "openapi_spec"]

public.public_operations()
public.live_operations()
subscriptions.subscription_operations()
public.pages_operations()
public.ops_operations()
moderation.moderation_operations()
people.people_operations()
desk.desk_operations()  # issue 14
corrections.corrections_operations()  # issue 16


def openapi_spec(app: web.Application | None = None) -> dict[str, Any]:
    """The whole description, built from the registered operations."""
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in sorted(OPERATIONS.items()):
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "commentsvc",
            "version": __version__,
            "description": "Comments, moderation and notifications for article sites.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "editToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The edit_token returned when the comment was posted",
                },
                "apiToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A moderator API token from `commentsvc moderator token`",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "commentsvc_session",
                    "description": "Moderator session; unsafe requests also send X-CSRF-Token",
                },
            },
        },
    }
