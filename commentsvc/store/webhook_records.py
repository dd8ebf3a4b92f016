"""What the webhook store hands out: endpoints, delivery rows and their statuses, and
the deliveries the dispatcher plans (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping

QUEUED, SENT, FAILED = "queued", "sent", "failed"
ERROR_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    site_id: str
    url: str
    events: tuple[str, ...]
    format: str
    secret_salt: str
    allow_private: bool
    enabled: bool
    failures: int
    disabled_at: datetime | None
    disabled_reason: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: int
    endpoint_id: int
    event_key: str
    event: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    response_status: int | None
    sent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Planned:
    """A delivery the dispatcher wants: the event's key, type and payload, per endpoint."""

    endpoint_id: int
    event_key: str
    event: str
    payload: dict[str, Any] = field(default_factory=dict)


def endpoint_from_row(row: RowMapping) -> Endpoint:
    return Endpoint(
        id=row["id"],
        site_id=row["site_id"],
        url=row["url"],
        events=tuple(row["events"] or ()),
        format=row["format"],
        secret_salt=row["secret_salt"],
        allow_private=bool(row["allow_private"]),
        enabled=bool(row["enabled"]),
        failures=row["failures"],
        disabled_at=row["disabled_at"],
        disabled_reason=row["disabled_reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


def delivery_from_row(row: RowMapping) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        event_key=row["event_key"],
        event=row["event"],
        payload=dict(row["payload"] or {}),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        response_status=row["response_status"],
        sent_at=row["sent_at"],
        created_at=row["created_at"],
    )
