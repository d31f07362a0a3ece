"""Hot-path statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy's execution layer (execution context, parameter processing, result wrappers) costs
about ten times what SQLite needs to run a small statement: an accepted invoice spent ~400 µs
of its ledger time there and ~40 µs in SQLite. A ``Direct`` statement is still written and
compiled by SQLAlchemy, for the connection's dialect, and its values still go through the
column types' own processors (UTC datetimes, JSON), so the rows are exactly what the rest of
the ledger reads and writes; only the per-call machinery is skipped. It runs inside the
caller's transaction on the caller's connection.

On PostgreSQL the statements run on psycopg's own async cursor, awaited from the synchronous
code that ``AsyncConnection.run_sync`` runs. SQLAlchemy's adapter cursor reads a SELECT's rows
as soon as it is sent, which in psycopg's pipeline mode (see ``Ledger.write``) would be before
they arrive: psycopg's cursor reads them when asked. ``send`` and ``Pending.rows`` ask later.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import BindParameter, Executable
from sqlalchemy.util import await_only

Processor = Callable[[Any], Any] | None
_GIVEN = object()  #: a bind parameter whose value each call supplies


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: bool  #: the driver takes a sequence in ``binds`` order, else a dict by name
    binds: tuple[tuple[str, Processor, Any], ...]  #: name, processor, value of a literal
    results: tuple[tuple[str, Processor], ...]
    #: an INSERT … VALUES (…) with named parameters, split around its row: what comes before
    #: the row, the row, what comes after it; None for any other statement
    rows_template: tuple[str, str, str] | None = None

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        # A plain loop: this runs for every row of every hot statement.
        processed = []
        for name, process, literal in self.binds:
            value = values[name] if literal is _GIVEN else literal
            processed.append(value if process is None else process(value))
        if self.positional:
            return processed
        return {name: value for (name, _, _), value in zip(self.binds, processed, strict=True)}


class Direct:
    """One statement; ``run``/``many``/``rows`` execute it on a ``Connection``'s driver cursor."""

    def __init__(
        self,
        statement: Executable | None = None,
        *,
        table: Table | None = None,
        planned_each_time: bool = False,
    ) -> None:
        """``planned_each_time``: on PostgreSQL, planned for each call's values and the tables'
        size at the time, never kept prepared (psycopg prepares a statement on its fifth run,
        and PostgreSQL may then keep the plan it made while a table was empty). SQLite plans
        each statement anyway."""
        self._statement = statement
        self._table = table
        self._planned_each_time = planned_each_time
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    @classmethod
    def insert(cls, table: Table) -> Direct:
        """``INSERT`` into ``table`` of the columns each row names (compiled once per set)."""
        return cls(table=table)

    def run(self, conn: Connection, values: Mapping[str, Any] | None = None) -> Any:
        """Execute once; the driver's cursor (for ``rowcount``, ``lastrowid`` or RETURNING)."""
        return self._execute(conn, values or {})[1]

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row, in one driver call (every row names the same columns). An
        INSERT on PostgreSQL goes as multi-row statements instead (see ``_multi_row``)."""
        if not rows:
            return
        compiled = self._for(conn.dialect, rows[0])
        if compiled.rows_template is not None and _is_psycopg_async(conn):
            cursor = raw_cursor(conn)
            start = 0
            for size in _chunk_sizes(len(rows)):
                sql, names = _multi_row(compiled.rows_template, size)
                params = []
                for row in rows[start : start + size]:
                    processed = compiled.params(row)
                    params.extend(processed[name] for name in names)
                cursor.execute(sql, params)
                start += size
            return
        _cursor(conn).executemany(compiled.sql, [compiled.params(row) for row in rows])

    def rows(self, conn: Connection, values: Mapping[str, Any] | None = None) -> list[dict]:
        """A SELECT's (or RETURNING's) rows as dicts by column name, through the column types."""
        return self.send(conn, values).rows()

    def send(self, conn: Connection, values: Mapping[str, Any] | None = None) -> Pending:
        """Execute now, read the rows later: in a pipeline, statements sent one after another
        travel to the server together and their rows come back together."""
        return Pending(*self._execute(conn, values or {}))

    def _execute(self, conn: Connection, values: Mapping[str, Any]) -> tuple[_Compiled, Any]:
        compiled = self._for(conn.dialect, values)
        cursor = _cursor(conn)
        if self._planned_each_time and isinstance(cursor, _AwaitedCursor):
            cursor.execute(compiled.sql, compiled.params(values), prepare=False)
        else:
            cursor.execute(compiled.sql, compiled.params(values))
        return compiled, cursor

    def _for(self, dialect: Dialect, values: Mapping[str, Any]) -> _Compiled:
        columns = tuple(values) if self._table is not None else ()
        compiled = self._compiled.get((dialect.name, columns))
        if compiled is None:
            statement = self._statement
            if self._table is not None:
                # inline: no RETURNING of a generated key nobody reads (PostgreSQL would send
                # it back for every row of every batch)
                statement = (
                    insert(self._table)
                    .inline()
                    .values(
                        {name: bindparam(name, type_=self._table.c[name].type) for name in columns}
                    )
                )
            assert statement is not None
            compiled = self._compiled[(dialect.name, columns)] = _compile(statement, dialect)
        return compiled


class Pending:
    """A statement sent whose rows have not been read yet."""

    __slots__ = ("_compiled", "_cursor")

    def __init__(self, compiled: _Compiled, cursor: Any) -> None:
        self._compiled = compiled
        self._cursor = cursor

    def rows(self) -> list[dict]:
        return [
            {
                name: (process(value) if process else value)
                for (name, process), value in zip(self._compiled.results, raw, strict=True)
            }
            for raw in self._cursor.fetchall()
        ]


class _AwaitedCursor:
    """psycopg's async cursor used from synchronous code running under ``run_sync``."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Any, prepare: bool | None = None) -> _AwaitedCursor:
        await_only(self._cursor.execute(sql, params, prepare=prepare))
        return self

    def executemany(self, sql: str, params: Sequence[Any]) -> None:
        await_only(self._cursor.executemany(sql, params))

    def fetchall(self) -> list[tuple]:
        return await_only(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        # In a pipeline the count arrives with the statement's answer, not when it is sent
        # (until then psycopg says -1): ask for the answers first.
        connection = self._cursor.connection
        if connection.pgconn.pipeline_status:
            await_only(_sync(connection))
        return self._cursor.rowcount


async def _sync(connection: Any) -> None:
    """Everything sent on ``connection``'s pipeline so far, answered (its pipeline stays on)."""
    async with connection.pipeline() as pipeline:
        await pipeline.sync()


def numbered_binds(name: str, count: int) -> list[BindParameter[Any]]:
    """``count`` parameters ``name0``, ``name1`` …: an IN list of a fixed length, so that a
    statement compiled for that length serves every call (see ``numbered``)."""
    return [bindparam(f"{name}{n}") for n in range(count)]


def numbered(name: str, values: Iterable[Any]) -> dict[str, Any]:
    """The values for ``numbered_binds(name, count)``, one per value, in order."""
    return {f"{name}{n}": value for n, value in enumerate(values)}


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    by_name = {
        name: (
            name,
            bind.type.dialect_impl(dialect).bind_processor(dialect),
            _GIVEN if bind.required else bind.effective_value,
        )
        for bind, name in compiled.bind_names.items()
    }
    # A positional paramstyle takes a parameter once per place it appears.
    positional = bool(compiled.positional and compiled.positiontup)
    names = compiled.positiontup if positional else list(by_name)
    binds = tuple(by_name[name] for name in names)
    # A SELECT's columns, or an INSERT/UPDATE's RETURNING columns.
    results = tuple(
        (column.name, column.type.dialect_impl(dialect).result_processor(dialect, None))
        for column in getattr(statement, "exported_columns", ())  # none for a SET, say
    )
    sql = str(compiled)
    return _Compiled(sql, positional, binds, results, _split_values(statement, sql, positional))


def _split_values(statement: Executable, sql: str, positional: bool) -> tuple[str, str, str] | None:
    """An INSERT's SQL around its one VALUES row: (before, row, after), or None."""
    if positional or not isinstance(statement, Insert) or statement._returning:
        return None
    opening = sql.find(" VALUES (")
    if opening < 0:
        return None
    start = opening + len(" VALUES ")
    depth = 0
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            before, row, after = sql[:start], sql[start : end + 1], sql[end + 1 :]
            # Rewritten with PostgreSQL's placeholders, it must hold no other % (an escaped one)
            if "%" in before + _PARAMETER.sub("", row) + after:
                return None
            return before, row, after
    return None


#: Rows per multi-row INSERT at most; a batch is cut into chunks of powers of two, so that each
#: statement has one of a few shapes, each prepared once per connection.
_LARGEST_CHUNK = 64
_PARAMETER = re.compile(r"%\((\w+)\)s")


def _chunk_sizes(count: int) -> list[int]:
    """``count`` as powers of two, largest first (13: 8, 4, 1)."""
    sizes = []
    size = _LARGEST_CHUNK
    while count:
        while size > count:
            size //= 2
        sizes.append(size)
        count -= size
    return sizes


@functools.cache
def _multi_row(rows_template: tuple[str, str, str], size: int) -> tuple[str, tuple[str, ...]]:
    """An INSERT (split by ``_split_values``) for ``size`` rows with PostgreSQL's numbered
    placeholders: its SQL, and the parameter names of one row in the order they appear.

    On PostgreSQL each statement costs a round of the driver's machinery and of the server's
    executor: a batch's rows in one statement per table cost less on both sides than one
    statement per row (psycopg's executemany)."""
    before, row, after = rows_template
    names = tuple(_PARAMETER.findall(row))
    # PostgreSQL's own numbered placeholders, for psycopg's raw cursor: psycopg parses a query
    # written with %s on every execution once it is longer than 4 kB, as these become.
    parts = _PARAMETER.split(row)  # text, name, text, name, …, text
    rows = []
    for index in range(size):
        numbered = [parts[0]]
        for position, text in enumerate(parts[2::2], start=index * len(names) + 1):
            numbered += [f"${position}", text]
        rows.append("".join(numbered))
    return before + ", ".join(rows) + after, names


def _is_psycopg_async(conn: Connection) -> bool:
    return conn.dialect.driver == "psycopg" and conn.dialect.is_async


def _cursor(conn: Connection) -> Any:
    dbapi_connection = conn.connection.dbapi_connection
    if _is_psycopg_async(conn):
        return _AwaitedCursor(dbapi_connection.driver_connection.cursor())  # type: ignore[union-attr]
    return dbapi_connection.cursor()  # type: ignore[union-attr]


def raw_cursor(conn: Connection) -> _AwaitedCursor:
    """psycopg's cursor for SQL with $1, $2 … placeholders, passed on as it is."""
    from psycopg import AsyncRawCursor

    driver_connection = conn.connection.dbapi_connection.driver_connection  # type: ignore[union-attr]
    return _AwaitedCursor(AsyncRawCursor(driver_connection))
