"""Every Redis key name and queue default, in one place.

Keys share the `commentsvc:` prefix. The one script that touches several keys
at once (the rate-limit gate) keeps them under one hash tag. The service talks
to one Redis master: one address, or the one Sentinel names (no Cluster client).
"""

from __future__ import annotations

PREFIX = "commentsvc"

# Streams (the doorbells) and their consumer groups.
STREAM_MODERATE = f"{PREFIX}:moderate"
STREAM_NOTIFY = f"{PREFIX}:notify"
STREAM_DEADLETTER = f"{PREFIX}:deadletter"
GROUP_MODERATE = "moderators"
GROUP_NOTIFY = "notifiers"

# Queue defaults.
BATCH_SIZE = 50
BLOCK_MS = 1000
IDLE_TIMEOUT_MS = 60_000
MAX_DELIVERIES = 5
STREAM_MAXLEN = 1_000_000
DEADLETTER_MAXLEN = 100_000
# Payload fields of a dead letter carry this prefix; the rest describe the death.
DEADLETTER_PAYLOAD_PREFIX = "p."
# A job error longer than this is cut before it is stored.
JOB_ERROR_MAX_CHARS = 2_000

# Consume loop.
HEALTH_TTL_S = 30
# A consumer that has not beaten its heart for this long is dead: its pending jobs go to
# the others at once, without waiting for IDLE_TIMEOUT_MS. It beats every fifth of it,
# from a task of its own, so a long handler does not make it look dead.
CONSUMER_DEAD_AFTER_MS = 5_000
# How often a consumer looks for dead consumers' jobs, at most.
DEAD_CHECK_INTERVAL_MS = 1_000
# A job is taken from a dead consumer only once it has been idle this long: two takers
# never both get it (the first one's XCLAIM resets its idle time).
DEAD_JOB_MIN_IDLE_MS = 500
# A consumer's "seen" key lasts this long after its last heartbeat: consumers never seen
# (older releases, bare `JobQueue.consume` callers) lose their jobs only to the idle timeout.
CONSUMER_SEEN_TTL_S = 86_400
# The doorbells one process holds while Redis is down, at most (then the sweeper rings).
MAX_HELD_DOORBELLS = 100_000
RETRY_BACKOFF_MIN_S = 0.1
RETRY_BACKOFF_MAX_S = 5.0

# Embedded redis-server, inside the data dir.
EMBEDDED_DIRNAME = "redis"
EMBEDDED_SOCKET_NAME = "redis.sock"
EMBEDDED_START_TIMEOUT_S = 10.0
EMBEDDED_STOP_TIMEOUT_S = 10.0
# Linux allows 107 bytes in a unix socket path; past this we listen on loopback TCP.
UNIX_SOCKET_PATH_MAX_BYTES = 100

# Cluster-wide counters (hashes of name → count) that /metrics reports.
STATS_DECISIONS = f"{PREFIX}:stats:decisions"
STATS_EMAILS = f"{PREFIX}:stats:emails"
STATS_HTTP = f"{PREFIX}:stats:http"  # every API process's request counts and latency buckets

# Pub/sub channel for thread changes (cache invalidation, live updates).
CHANNEL_EVENTS = f"{PREFIX}:events"


def health_key(worker: str, consumer: str) -> str:
    """Set with a TTL by a live worker, so a probe can tell it is alive."""
    return f"{PREFIX}:health:{worker}:{consumer}"


def consumer_alive_key(stream: str, consumer: str) -> str:
    """Set by a live consumer of `stream` with a TTL of `CONSUMER_DEAD_AFTER_MS`."""
    return f"{stream}:alive:{consumer}"


def consumer_seen_key(stream: str, consumer: str) -> str:
    """Set with each heartbeat for a day: this consumer beats, so its silence means death."""
    return f"{stream}:seen:{consumer}"


def job_error_key(stream: str) -> str:
    """Hash of job id → last error, kept so a dead letter says why it died."""
    return f"{stream}:errors"


def rate_key(bucket: str, subject: str, window_start: int) -> str:
    """A rate-limit counter. `{subject}` is a hash tag: on Redis Cluster one caller's
    counters and duplicate-window keys share a slot, so one script can touch them all."""
    return f"{PREFIX}:rate:{{{subject}}}:{bucket}:{window_start}"


def dedupe_key(subject: str, digest: str) -> str:
    """The duplicate-post window of one comment text by one caller (same hash tag)."""
    return f"{PREFIX}:dedupe:{{{subject}}}:{digest}"


def login_failures_key(subject: str) -> str:
    """Sorted set of recent failed logins for one account (a keyed hash of its email)."""
    return f"{PREFIX}:login-failures:{subject}"


def moderator_alert_key(moderator_id: int) -> str:
    """Held for the alert interval once a notifier mails a moderator about pending comments."""
    return f"{PREFIX}:notify:moderator-alert:{moderator_id}"
