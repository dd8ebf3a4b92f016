"""Errors the service raises; the web layer turns each into problem+json (RFC 9457)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class ServiceError(Exception):
    """Base: an HTTP status, a short title and a human detail."""

    status = 500
    title = "Internal error"
    slug = "internal"

    def __init__(self, detail: str = "", *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class BadRequest(ServiceError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(ServiceError):
    status, title, slug = 401, "Authentication required", "unauthorized"


class Forbidden(ServiceError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ServiceError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(ServiceError):
    status, title, slug = 409, "Conflict", "conflict"


class Invalid(ServiceError):
    status, title, slug = 422, "Invalid fields", "invalid"


class RateLimited(ServiceError):
    status, title, slug = 429, "Too many requests", "rate-limited"

    def __init__(self, detail: str = "", *, retry_after_s: int = 60) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)


class Unavailable(ServiceError):
    status, title, slug = 503, "Service unavailable", "unavailable"

    def __init__(self, detail: str = "", *, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)


class TooLarge(ServiceError):
    status, title, slug = 413, "Request body too large", "too-large"


class UnsupportedMediaType(ServiceError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"
