"""The client of a Redis master behind Sentinel, which follows a failover.

A client built from a `redis+sentinel://` URL (`commentsvc.redisurl`) asks the sentinels
for the master before each new connection. After a failover the old master's
connections fail (refused, reset, or READONLY once it has been demoted; redis-py turns
the last into a connection error) and the next connection goes to the new master, so the
callers' usual handling of a Redis outage (the guard, held doorbells, the sweep) covers
the switch. What the old master had not yet copied to its replica is not lost: every
comment and every delivery is in the database first, and the sweep rings again for what
is undone.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

from commentsvc.redisurl import SentinelAddress


class MasterClient(aioredis.Redis):
    """A master's client that, when closed, also closes its connections to the sentinels."""

    sentinel_manager: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        if self.sentinel_manager is not None:
            for one in self.sentinel_manager.sentinels:
                await one.aclose()


def master_client(address: SentinelAddress, **kwargs: Any) -> aioredis.Redis:
    """A client of the service's current master; `kwargs` are the connections' options."""
    sentinel_kwargs: dict[str, Any] = {
        "socket_timeout": kwargs.get("socket_timeout"),
        "socket_connect_timeout": kwargs.get("socket_connect_timeout"),
    }
    if address.sentinel_password:
        sentinel_kwargs["password"] = address.sentinel_password
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(address.sentinels), sentinel_kwargs=sentinel_kwargs
    )
    options = dict(kwargs)
    options.pop("single_connection_client", None)  # a pool option, not a connection one
    if address.password:
        options["password"] = address.password
    if address.tls:
        options["ssl"] = True
    client: MasterClient = sentinel.master_for(
        address.service, redis_class=MasterClient, db=address.db, **options
    )
    client.sentinel_manager = sentinel
    return client
