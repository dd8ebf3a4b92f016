"""Doorbell jobs name a comment: `{"comment_id": "…"}` on the moderate and notify streams."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from commentsvc.queue.entries import Job

log = logging.getLogger(__name__)


def by_comment(jobs: Sequence[Job]) -> tuple[dict[str, list[str]], set[str]]:
    """Job ids per comment (a comment may be rung twice), and the ids of malformed jobs."""
    grouped: dict[str, list[str]] = {}
    malformed: set[str] = set()
    for job in jobs:
        comment_id = job.payload.get("comment_id", "")
        if comment_id:
            grouped.setdefault(comment_id, []).append(job.id)
        else:
            log.warning("job %s names no comment; dropping it", job.id)
            malformed.add(job.id)
    return grouped, malformed
