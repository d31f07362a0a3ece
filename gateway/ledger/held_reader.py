"""Hot-path reads on PostgreSQL over one connection held for them.

A pooled read paid a checkout, a pre-ping round trip, BEGIN and ROLLBACK around its SELECT, and
under load the pool's overflow connections were opened and closed again and again. The held
connection is in autocommit, so a read is its SELECTs alone; reads take turns on it (each is a
round trip or two). A read that finds the connection gone (the server restarted, an idle timeout)
reconnects and runs once more: a read changes nothing, so running it again is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

R = TypeVar("R")


class HeldReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._turn = asyncio.Lock()

    async def read(self, work: Callable[..., R], *args: Any) -> R:
        """Run ``work(conn, *args)``, synchronous code that only reads."""
        async with self._turn:
            for attempt in (1, 2):
                connection = await self._connect()
                try:
                    return await connection.run_sync(work, *args)
                except Exception as exc:
                    # Whatever went wrong, the next read starts on a fresh connection.
                    await self._discard()
                    if attempt == 2 or not self._lost_connection(exc):
                        raise
                except BaseException:  # cancelled mid-query: the connection's state is unknown
                    await asyncio.shield(self._discard())
                    raise
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        async with self._turn:
            await self._discard()

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self._engine.connect()
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection = connection
        return self._connection

    async def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    def _lost_connection(self, exc: Exception) -> bool:
        """The server or the network dropped the connection (SQLAlchemy's statements wrap the
        driver's error; ``Direct`` statements raise the driver's own)."""
        if isinstance(exc, sa_exc.DBAPIError):
            return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError)
        driver = self._engine.dialect.loaded_dbapi
        return isinstance(exc, driver.OperationalError | driver.InterfaceError)
