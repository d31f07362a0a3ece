"""Hot-path reads, and writes of one statement, on PostgreSQL over a few connections held for them.

A pooled read paid a checkout, a pre-ping round trip, BEGIN and ROLLBACK around its SELECT, and
under load the pool's overflow connections were opened and closed again and again. The held
connections are in autocommit, so a read is its SELECTs alone, and a write that is one statement
(atomic on its own) is that statement alone. There are a few, not one: a read holds its
connection until the event loop comes back to it, which under load is after whatever else the
loop had to do first. A read that finds its connection gone (the server restarted, an idle
timeout) drops the others too, reconnects and runs once more: a read changes nothing, so running
it again is safe. So does a write, which must be one that can run twice (it may have been
committed before its connection went): the acceptance's is, as the idempotency keys decide.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

R = TypeVar("R")

#: Connections held per process: reads in flight at once.
HELD_CONNECTIONS = 4


class HeldConnections:
    def __init__(self, engine: AsyncEngine, connections: int = HELD_CONNECTIONS) -> None:
        self._engine = engine
        self._idle: list[AsyncConnection] = []
        self._turns = asyncio.Semaphore(connections)

    async def read(self, work: Callable[..., R], *args: Any) -> R:
        """Run ``work(conn, *args)``, synchronous code that only reads."""
        return await self._run(work, args)

    async def write(self, work: Callable[..., R], *args: Any) -> R:
        """Run ``work(conn, *args)``, synchronous code that writes with one statement, which
        must be safe to run twice."""
        return await self._run(work, args)

    async def _run(self, work: Callable[..., R], args: tuple[Any, ...]) -> R:
        async with self._turns:
            try:
                return await self._run_once(work, args)
            except Exception as exc:
                if not self._lost_connection(exc):
                    raise
                await self._discard_idle()  # dropped with it, most likely
            return await self._run_once(work, args)

    async def _run_once(self, work: Callable[..., R], args: tuple[Any, ...]) -> R:
        connection = self._idle.pop() if self._idle else await self._connect()
        try:
            result = await connection.run_sync(work, *args)
        except Exception:
            await _discard(connection)  # whatever went wrong, it is not used again
            raise
        except BaseException:  # cancelled mid-query: the connection's state is unknown
            await asyncio.shield(_discard(connection))
            raise
        self._idle.append(connection)
        return result

    async def aclose(self) -> None:
        await self._discard_idle()

    async def _connect(self) -> AsyncConnection:
        connection = await self._engine.connect()
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    async def _discard_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await _discard(connection)

    def _lost_connection(self, exc: Exception) -> bool:
        """The server or the network dropped the connection (SQLAlchemy's statements wrap the
        driver's error; ``Direct`` statements raise the driver's own)."""
        if isinstance(exc, sa_exc.DBAPIError):
            return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError)
        driver = self._engine.dialect.loaded_dbapi
        return isinstance(exc, driver.OperationalError | driver.InterfaceError)


async def _discard(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()
