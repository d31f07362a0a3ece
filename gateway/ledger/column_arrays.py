"""Rows of a table sent as one array per column, for PostgreSQL's ``INSERT … SELECT FROM unnest``.

A statement that takes its rows as arrays keeps one shape whatever their number: it is prepared
once, and a batch of any size costs one statement per table instead of one per row or one shape
per row count. The arrays travel in PostgreSQL's binary format: psycopg's text format escapes
every value with a regular expression, which for the bytes of documents cost more than the
insert itself.

The values go through the column types' own processors first (UTC datetimes), as ``Direct``'s
do; JSON columns are sent as text and cast back to JSON by the statement.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.psycopg.dialect()  # type: ignore[attr-defined]


class BinaryArray(list):
    """A list that psycopg sends as a binary array (once ``send_binary_arrays`` has run)."""

    __slots__ = ()


@functools.cache
def send_binary_arrays() -> None:
    """Tells psycopg how to send a ``BinaryArray``: called before a PostgreSQL engine is made,
    whose dialect copies psycopg's adapters (psycopg is installed only where PostgreSQL is
    used)."""
    from psycopg import adapters
    from psycopg.types.array import ListBinaryDumper

    adapters.register_dumper(BinaryArray, ListBinaryDumper)


@dataclass(frozen=True, slots=True)
class ColumnArrays:
    """``names`` of ``table``: the SQL that reads them back from arrays, and the arrays."""

    table: Table
    names: tuple[str, ...]

    def source(self, first: int, alias: str) -> str:
        """``unnest($first::T[], …) WITH ORDINALITY AS alias(name…, ord)``: the rows in the
        order given, numbered by ``ord``. The parameters are ``$first`` to ``$(first+len-1)``."""
        arrays = ", ".join(
            f"${first + n}::{column.array_type}"
            for n, column in enumerate(_columns(self.table, self.names))
        )
        return f"unnest({arrays}) WITH ORDINALITY AS {alias}({', '.join(self.names)}, ord)"

    def select(self, alias: str) -> str:
        """The columns of ``alias`` (a ``source``) as the table's own types."""
        return ", ".join(
            f"{alias}.{column.name}{column.cast}" for column in _columns(self.table, self.names)
        )

    def insert(self, first: int, alias: str, where: str = "") -> str:
        """``INSERT INTO table (names) SELECT … FROM source [WHERE …] ORDER BY ord``."""
        condition = f" WHERE {where}" if where else ""
        return (
            f"INSERT INTO {self.table.name} ({', '.join(self.names)})"
            f" SELECT {self.select(alias)} FROM {self.source(first, alias)}{condition}"
            f" ORDER BY {alias}.ord"
        )

    def arrays(self, rows: Sequence[Mapping[str, Any]]) -> list[BinaryArray]:
        """One array per column, in ``names`` order, of ``rows``' processed values."""
        out = []
        for column in _columns(self.table, self.names):
            name, process = column.name, column.process
            if process is None:
                out.append(BinaryArray(row[name] for row in rows))
            else:
                out.append(
                    BinaryArray(None if (v := row[name]) is None else process(v) for row in rows)
                )
        return out


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    process: Callable[[Any], Any] | None  #: the column type's bind processor (JSON: to text)
    array_type: str  #: the array's type as the statement declares it
    cast: str  #: back to the column's type, after unnest ("" if none is needed)


@functools.cache
def _columns(table: Table, names: tuple[str, ...]) -> tuple[_Column, ...]:
    columns = []
    for name in names:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            columns.append(_Column(name, json.dumps, "TEXT[]", "::JSON"))
            continue
        process = column_type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
        columns.append(_Column(name, process, f"{column_type.compile(dialect=_DIALECT)}[]", ""))
    return tuple(columns)
