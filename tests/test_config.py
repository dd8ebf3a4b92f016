"""Settings: validated from an environment mapping and an optional TOML file."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import pytest

from commentsvc.config import (
    ConfigError,
    RateLimit,
    ensure_secret_key,
    load_settings,
    parse_settings,
)


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    s = parse_settings({"COMMENTSVC_DATA_DIR": str(tmp_path)})
    assert s.embedded_redis
    assert s.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/commentsvc.sqlite3"
    assert s.resolved_public_url == "http://127.0.0.1:8080"
    assert s.mail_from == "comments@localhost"
    assert s.trusted_proxies == ()


def test_values_are_parsed() -> None:
    s = parse_settings(
        {
            "COMMENTSVC_DATABASE_URL": "postgres://u:p@db:5432/c",
            "COMMENTSVC_REDIS_URL": "redis://cache:6379/1",
            "COMMENTSVC_SMTP_URL": "smtps://user:pw@mail.example:465",
            "COMMENTSVC_PUBLIC_URL": "https://comments.example/",
            "COMMENTSVC_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
            "COMMENTSVC_PORT": "9000",
            "COMMENTSVC_RATE_LIMITS": "post=5/30",
            "COMMENTSVC_LOG_FORMAT": "json",
        }
    )
    assert s.database_url == "postgresql+asyncpg://u:p@db:5432/c"
    assert s.public_url == "https://comments.example"
    assert s.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
    )
    assert s.port == 9000 and s.log_format == "json"
    assert s.rate_limits["post"] == RateLimit(5, 30)
    assert s.rate_limits["vote"] == RateLimit(60, 60)


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("COMMENTSVC_PORT", "eighty"),
        ("COMMENTSVC_PORT", "70000"),
        ("COMMENTSVC_DATABASE_URL", "mysql://x/y"),
        ("COMMENTSVC_REDIS_URL", "http://x"),
        ("COMMENTSVC_REDIS_URL", "redis+sentinel://x:26379"),  # no service named
        ("COMMENTSVC_REDIS_URL", "redis://127.0.0.1:99999/0"),  # a traceback at start before
        ("COMMENTSVC_REDIS_URL", "redis://127.0.0.1:abc/0"),
        ("COMMENTSVC_REDIS_URL", "redis://127.0.0.1:6379/99999999999999999999"),  # never answers
        ("COMMENTSVC_REDIS_URL", "redis://127.0.0.1:6379/abc"),  # was read as database 0
        ("COMMENTSVC_REDIS_URL", "redis+sentinel://h/svc/99999999999999999999"),
        ("COMMENTSVC_DATABASE_URL", "postgresql://postgres@127.0.0.1:5o432/test"),
        ("COMMENTSVC_SMTP_URL", "smtp://"),
        ("COMMENTSVC_PUBLIC_URL", "ftp://x"),
        ("COMMENTSVC_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("COMMENTSVC_SECRET_KEY", "short"),
        ("COMMENTSVC_MAIL_FROM", "a@b\r\nBcc: x@y"),
        ("COMMENTSVC_LOG_FORMAT", "xml"),
        ("COMMENTSVC_RATE_LIMITS", "post=lots"),
        ("COMMENTSVC_RATE_LIMITS", "posting=1/1"),
    ],
)
def test_bad_value_names_the_variable_in_one_line(var: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings({var: value})
    message = str(err.value)
    assert message.startswith(var + ":")
    assert "\n" not in message


def test_toml_file_and_env_override(tmp_path: Path) -> None:
    config = tmp_path / "commentsvc.toml"
    config.write_text(
        'port = 9001\nmail_from = "news@example.org"\ntrusted_proxies = ["127.0.0.1"]\n'
        '[rate_limits]\npost = "2/60"\n'
    )
    s = parse_settings({"COMMENTSVC_PORT": "9002"}, config)
    assert s.port == 9002
    assert s.mail_from == "news@example.org"
    assert s.rate_limits["post"] == RateLimit(2, 60)
    config.write_text("port = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_settings({}, config)


def test_unknown_keys_are_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "c.toml"
    config.write_text("colour = 'blue'\n")
    with caplog.at_level(logging.WARNING):
        parse_settings({"COMMENTSVC_PROT": "1"}, config)
    assert "COMMENTSVC_PROT" in caplog.text
    assert "colour" in caplog.text


def test_secret_key_is_generated_once(tmp_path: Path) -> None:
    first = load_settings({"COMMENTSVC_DATA_DIR": str(tmp_path / "d")})
    second = load_settings({"COMMENTSVC_DATA_DIR": str(tmp_path / "d")})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "d" / "secret_key").stat().st_mode & 0o777 == 0o600
    given = ensure_secret_key(parse_settings({"COMMENTSVC_SECRET_KEY": "k" * 40}))
    assert given.secret_key == "k" * 40
