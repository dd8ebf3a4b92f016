"""Stream entries as the queue hands them out: a `Job` (one delivery of an entry), the
stats of a stream, and the small checks and readers of Redis's stream answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from commentsvc.queue.constants import JOB_ERROR_MAX_CHARS


@dataclass(frozen=True)
class Job:
    """One delivery of a stream entry to this consumer."""

    id: str  # stream entry id
    payload: dict[str, str]
    deliveries: int  # 1 on first delivery


@dataclass(frozen=True)
class QueueStats:
    """What /metrics and /readyz report about one stream and its group."""

    stream: str
    group: str
    length: int  # entries in the stream: not yet delivered, or delivered and unfinished
    pending: int  # delivered to a consumer, not yet acked
    oldest_pending_age_ms: int  # age of the oldest pending job since it was published; 0 if none
    lag: int  # entries not yet delivered to the group


def is_nogroup(exc: ResponseError) -> bool:
    return str(exc).startswith("NOGROUP")


def check_payload(payload: Mapping[str, str]) -> dict[FieldT, EncodableT]:
    """The payload as XADD fields, after checking it is a non-empty flat str → str mapping."""
    if not payload:
        raise ValueError("a job payload needs at least one field")
    for key, value in payload.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"job payload must map str to str, got {key!r}: {value!r}")
    return cast("dict[FieldT, EncodableT]", dict(payload))


def cut_error(error: str) -> str:
    if len(error) <= JOB_ERROR_MAX_CHARS:
        return error
    return error[: JOB_ERROR_MAX_CHARS - 1] + "…"


def read_entries(response: Any) -> list[Any]:
    """The (id, fields) pairs of a one-stream XREADGROUP answer, RESP2 or RESP3 shaped."""
    if not response:
        return []
    if isinstance(response, dict):  # RESP3: {stream: [entries]} or {stream: entries}
        entries = next(iter(response.values()))
        if entries and isinstance(entries[0], list):
            entries = entries[0]
        return list(entries)
    return list(response[0][1])  # RESP2: [[stream, entries]]


def entry_time_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])
