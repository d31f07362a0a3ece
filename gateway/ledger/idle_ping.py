"""A pooled PostgreSQL connection is pinged before use only when it has been idle a while.

SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip for every write
transaction, which on a busy ledger is a third of a pipelined batch's round trips, spent on
connections that were in use a millisecond earlier. A connection the server or the network
dropped is one that sat idle (a restart, an idle timeout, a firewall): those are pinged, and one
that does not answer is replaced by the pool before anyone uses it. A connection that breaks
while in use fails its transaction either way; the pool then replaces its connections.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

#: Seconds a pooled connection may rest and still be used without a ping.
PING_AFTER_IDLE = 5.0

_IDLE_SINCE = "fakturaport.idle_since"


def ping_when_idle(engine: AsyncEngine, after: float | None = None) -> None:
    """Install on ``engine``'s pool (instead of ``pool_pre_ping``); ``after`` defaults to
    ``PING_AFTER_IDLE`` as it is when a connection is checked out."""
    dialect = engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        limit = PING_AFTER_IDLE if after is None else after
        if idle_since is None or time.monotonic() - idle_since < limit:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver says: the pool retries with a new one
            raise DisconnectionError("a pooled connection that rested is gone") from exc

    pool = engine.sync_engine.pool
    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)
