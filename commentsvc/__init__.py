"""commentsvc: a self-hosted comment moderation and notification service."""

__version__ = "0.1.0"
