"""Which errors mean "Redis is unreachable right now" (the service degrades, never fails)."""

from __future__ import annotations

import asyncio

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

REDIS_DOWN = (RedisError, RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)
