"""Settings: frozen dataclasses read from an environment mapping and an optional TOML file.

`load_settings(os.environ, config_path)` is the only entry point. A bad value
raises `ConfigError` whose message is one line naming the variable; unknown
`COMMENTSVC_*` variables and unknown TOML keys are warned about.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from commentsvc.redisurl import MAX_REDIS_DB, is_sentinel_url, parse_sentinel_url

log = logging.getLogger(__name__)

ENV_PREFIX = "COMMENTSVC_"
SUPERVISOR_PID_ENV = "COMMENTSVC_SUPERVISOR_PID"
"""Set by `serve/api --processes N` for its children (not a setting: never warned about)."""
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """A setting has a bad value; the message names the variable."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `count` requests per `window_s` seconds."""

    count: int
    window_s: int


DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "post": RateLimit(10, 60),
    "post_hour": RateLimit(60, 3600),
    "vote": RateLimit(60, 60),
    "flag": RateLimit(20, 60),
    "correction": RateLimit(5, 60),  # issue 16: reports of an error, per address
    "subscribe": RateLimit(5, 60),
    "login_ip": RateLimit(20, 60),
    "login_account": RateLimit(5, 60),
    "confirm_ip": RateLimit(10, 3600),
    "confirm_email": RateLimit(3, 86_400),
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from outside, validated once at start-up."""

    data_dir: Path = Path("./commentsvc-data")
    database_url: str = ""
    redis_url: str = ""
    smtp_url: str = ""
    public_url: str = ""
    secret_key: str = ""
    mail_from: str = "comments@localhost"
    trusted_proxies: tuple[IPNetwork, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8080
    max_connections_per_ip: int = 64
    processes: int = 0  # API processes of `serve`/`api` (0: one per CPU); --processes wins
    header_timeout_s: float = 10.0
    keepalive_timeout_s: float = 75.0
    log_format: str = "text"
    log_level: str = "INFO"
    max_body_bytes: int = 65_536
    sweep_after_s: float = 30.0
    sweep_interval_s: float = 5.0
    queue_idle_timeout_ms: int = 60_000
    queue_max_deliveries: int = 5
    batch_size: int = 50
    thread_cache_ttl_s: float = 5.0
    duplicate_window_s: int = 600
    session_ttl_s: int = 12 * 3600
    smtp_pool_size: int = 8
    smtp_timeout_s: float = 30.0
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "commentsvc.sqlite3"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.sqlite_path}"

    @property
    def resolved_public_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        return (self.public_url or f"http://{host}:{self.port}").rstrip("/")

    @property
    def maildir(self) -> Path:
        return self.data_dir / "maildir"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _parse_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"must be an integer, got {raw!r}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _parse_float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"must be a number, got {raw!r}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _parse_url(*schemes: str, drivers: bool = True) -> Callable[[str], str]:
    """A URL with one of `schemes`; with `drivers`, also `scheme+driver` (SQLAlchemy's)."""

    def parse(raw: str) -> str:
        raw = raw.strip()
        if not raw:
            return ""
        parts = urlsplit(raw)
        scheme = parts.scheme.split("+")[0] if drivers else parts.scheme
        if scheme not in schemes:
            raise ValueError(f"scheme must be one of {', '.join(schemes)}, got {parts.scheme!r}")
        if scheme not in ("sqlite", "unix") and not parts.hostname:
            raise ValueError(f"has no host: {raw!r}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError as exc:
            raise ValueError(f"has a bad port ({exc})") from None
        return raw

    return parse


def _parse_redis_url(raw: str) -> str:
    if is_sentinel_url(raw):
        parse_sentinel_url(raw)  # ValueError saying what is wrong
        return raw.strip()
    url = _parse_url("redis", "rediss", "unix", drivers=False)(raw)
    if url and not url.startswith("unix:"):
        db = urlsplit(url).path.strip("/")
        if db and not (db.isascii() and db.isdigit() and int(db) <= MAX_REDIS_DB):
            # redis-py reads a path that is not a number as database 0, and Redis refuses one
            # past its integers on every command: both are typos to say at start.
            raise ValueError(f"database must be a number from 0 to {MAX_REDIS_DB}, got {db!r}")
    return url


def _parse_database_url(raw: str) -> str:
    url = _parse_url("sqlite", "postgresql", "postgres")(raw)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://"):
        url = "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _parse_public_url(raw: str) -> str:
    url = _parse_url("http", "https")(raw)
    if url and (urlsplit(url).query or urlsplit(url).fragment):
        raise ValueError("must not have a query or fragment")
    return url.rstrip("/")


def _parse_proxies(raw: str) -> tuple[IPNetwork, ...]:
    nets = []
    for part in raw.replace(",", " ").split():
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {part!r}") from None
    return tuple(nets)


def _parse_mail_from(raw: str) -> str:
    raw = raw.strip()
    if any(c in raw for c in "\r\n") or "@" not in raw:
        raise ValueError(f"must be one email address, got {raw!r}")
    return raw


def _parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower() if raw.strip().lower() in choices else raw.strip()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _parse_level(raw: str) -> str:
    return _parse_choice("DEBUG", "INFO", "WARNING", "ERROR")(raw.upper())


def _parse_secret(raw: str) -> str:
    if len(raw) < 32:
        raise ValueError(
            "must be at least 32 characters; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return raw


def _parse_rate_limits(raw: str) -> dict[str, RateLimit]:
    """`post=10/60,vote=60/60`: overrides of the default limits."""
    limits = dict(DEFAULT_RATE_LIMITS)
    for part in raw.replace(";", ",").split(","):
        if not part.strip():
            continue
        name, _, spec = part.partition("=")
        name = name.strip()
        if name not in DEFAULT_RATE_LIMITS:
            raise ValueError(f"unknown limit {name!r}; known: {', '.join(DEFAULT_RATE_LIMITS)}")
        count, _, window = spec.partition("/")
        try:
            limits[name] = RateLimit(int(count), int(window))
        except ValueError:
            raise ValueError(f"{name} must look like COUNT/WINDOW_S, got {spec!r}") from None
        if limits[name].count < 1 or limits[name].window_s < 1:
            raise ValueError(f"{name} needs a positive count and window")
    return limits


# Field name → (environment variable suffix, parser).
_PARSERS: dict[str, Callable[[str], Any]] = {
    "data_dir": lambda raw: Path(raw).expanduser(),
    "database_url": _parse_database_url,
    "redis_url": _parse_redis_url,  # one server, or a master behind Sentinel; no Cluster
    "smtp_url": _parse_url("smtp", "smtps"),
    "public_url": _parse_public_url,
    "secret_key": _parse_secret,
    "mail_from": _parse_mail_from,
    "trusted_proxies": _parse_proxies,
    "host": str.strip,
    "port": _parse_int(0, 65_535),
    "max_connections_per_ip": _parse_int(0, 1_000_000),
    "processes": _parse_int(0, 256),
    "header_timeout_s": _parse_float(0.0, 600.0),
    "keepalive_timeout_s": _parse_float(0.0, 3600.0),
    "log_format": _parse_choice("text", "json"),
    "log_level": _parse_level,
    "max_body_bytes": _parse_int(1024, 16 * 1024 * 1024),
    "sweep_after_s": _parse_float(0.0, 86_400.0),
    "sweep_interval_s": _parse_float(0.05, 3600.0),
    "queue_idle_timeout_ms": _parse_int(10, 86_400_000),
    "queue_max_deliveries": _parse_int(1, 1000),
    "batch_size": _parse_int(1, 10_000),
    "thread_cache_ttl_s": _parse_float(0.0, 3600.0),
    "duplicate_window_s": _parse_int(0, 86_400),
    "session_ttl_s": _parse_int(60, 90 * 86_400),
    "smtp_pool_size": _parse_int(1, 256),
    "smtp_timeout_s": _parse_float(1.0, 600.0),
    "rate_limits": _parse_rate_limits,
}


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def _toml_values(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--config: no such file {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {path}: not valid TOML ({exc})") from None
    data = data.get("commentsvc", data)
    values: dict[str, str] = {}
    for key, value in data.items():
        name = key.lower().removeprefix("commentsvc_")
        if name not in _PARSERS:
            log.warning("config %s: unknown key %r ignored", path, key)
            continue
        if name == "rate_limits" and isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


def parse_settings(env: Mapping[str, str], config_path: Path | None = None) -> Settings:
    """Validate settings from `env` and the TOML file (env wins); reads nothing else."""
    raw: dict[str, str] = _toml_values(config_path) if config_path else {}
    known = {env_name(f.name) for f in fields(Settings)} | {"COMMENTSVC_CONFIG", SUPERVISOR_PID_ENV}
    for key in env:
        testing = key.startswith("COMMENTSVC_TEST_")
        if key.startswith(ENV_PREFIX) and key not in known and not testing:
            log.warning("unknown setting %s ignored", key)
    for f in fields(Settings):
        value = env.get(env_name(f.name))
        if value is not None:
            raw[f.name] = value
    values: dict[str, Any] = {}
    for name, text in raw.items():
        try:
            values[name] = _PARSERS[name](text)
        except ValueError as exc:
            raise ConfigError(f"{env_name(name)}: {exc}") from None
    return Settings(**values)


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the given one, or one generated once in the data dir."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key + "\n")
    if len(key) < 32:
        raise ConfigError(
            f"{path}: the stored secret key is too short; delete the file to regenerate"
        )
    return replace(settings, secret_key=key)


def load_settings(env: Mapping[str, str], config_path: Path | None = None) -> Settings:
    """Parse and complete settings for a running process (creates the data dir and secret)."""
    if config_path is None and env.get("COMMENTSVC_CONFIG"):
        config_path = Path(env["COMMENTSVC_CONFIG"])
    settings = parse_settings(env, config_path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return ensure_secret_key(settings)
