"""Rows of a table sent as one array per column, for PostgreSQL's ``INSERT … SELECT FROM unnest``.

A statement that takes its rows as arrays keeps one shape whatever their number: it is prepared
once, and a batch of any size costs one statement per table instead of one per row or one shape
per row count.

The arrays are encoded here, in PostgreSQL's binary array format, and psycopg passes the bytes
on as they are. Its text format escaped every value with a regular expression, which for the
bytes of documents cost more than the insert itself; its own binary list dumper looked up a
dumper and worked out the element type and dimensions anew for every array, some forty per
batch, where the column's type already says all of it. A column's type also fixes its array's
type when every value is NULL, so a batch without any value in a column is no new statement.

The values go through the column types' own processors first (UTC datetimes), as ``Direct``'s
do; JSON columns are sent as text and cast back to JSON by the statement.
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.psycopg.dialect()  # type: ignore[attr-defined]

_HEADER = struct.Struct(">iiiii")  # dimensions, has NULLs, element type, length, lower bound
_EMPTY = struct.Struct(">iii")  # an empty array: no dimensions
_INT4 = struct.Struct(">i")
_INT8 = struct.Struct(">q")
_NULL = _INT4.pack(-1)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class EncodedArray(bytes):
    """An array already in PostgreSQL's binary format; each subclass is one array type."""

    __slots__ = ()
    oid: int = 0  #: the array type's OID, which psycopg sends with the bytes


def _timestamptz(value: datetime) -> bytes:
    return _INT8.pack((value - _PG_EPOCH) // _MICROSECOND)


@dataclass(frozen=True, slots=True)
class _ArrayType:
    """How the values of one column type go into a binary array."""

    element_oid: int
    encode: Callable[[Any], bytes]  #: one value (not NULL) to its binary form
    wrapper: type[EncodedArray]


def _array_type(name: str, element_oid: int, array_oid: int, encode: Callable) -> _ArrayType:
    wrapper = type(f"{name}Array", (EncodedArray,), {"__slots__": (), "oid": array_oid})
    return _ArrayType(element_oid, encode, wrapper)


#: By the column type as the statement declares it (without length): text, integers, bytes,
#: timestamps. OIDs are PostgreSQL's fixed ones for the built-in types.
_TEXT = _array_type("Text", 25, 1009, str.encode)
ARRAY_TYPES = {
    "VARCHAR": _TEXT,
    "TEXT": _TEXT,
    "INTEGER": _array_type("Int4", 23, 1007, _INT4.pack),
    "BIGINT": _array_type("Int8", 20, 1016, _INT8.pack),
    "BYTEA": _array_type("Bytea", 17, 1001, bytes),
    "TIMESTAMP WITH TIME ZONE": _array_type("Timestamptz", 1184, 1185, _timestamptz),
}


@functools.cache
def send_binary_arrays() -> None:
    """Tells psycopg to pass an ``EncodedArray`` on as it is: called before a PostgreSQL engine
    is made, whose dialect copies psycopg's adapters (psycopg is installed only where PostgreSQL
    is used)."""
    from psycopg import adapters
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    def as_is(self, obj: EncodedArray) -> bytes:
        return obj

    for array_type in set(ARRAY_TYPES.values()):  # text is under two names
        wrapper = array_type.wrapper
        dumper = type(
            f"{wrapper.__name__}Dumper",
            (Dumper,),
            {"format": Format.BINARY, "oid": wrapper.oid, "dump": as_is},
        )
        adapters.register_dumper(wrapper, dumper)


def encode_array(array_type: _ArrayType, values: Sequence[Any]) -> EncodedArray:
    """``values`` (``None`` for NULL) as one binary array of ``array_type``."""
    if not values:
        return array_type.wrapper(_EMPTY.pack(0, 0, array_type.element_oid))
    encode, pack_length = array_type.encode, _INT4.pack
    parts = [b""]  # the header, once it is known whether there are NULLs
    has_null = 0
    for value in values:
        if value is None:
            parts.append(_NULL)
            has_null = 1
        else:
            data = encode(value)
            parts.append(pack_length(len(data)))
            parts.append(data)
    parts[0] = _HEADER.pack(1, has_null, array_type.element_oid, len(values), 1)
    return array_type.wrapper(b"".join(parts))


@dataclass(frozen=True, slots=True)
class ColumnArrays:
    """``names`` of ``table``: the SQL that reads them back from arrays, and the arrays.
    ``also``: more arrays beside the columns (name, SQL type), read as ``alias.name`` by the
    statement but not inserted; their values are given to ``arrays`` apart from the rows."""

    table: Table
    names: tuple[str, ...]
    also: tuple[tuple[str, str], ...] = ()

    @property
    def parameters(self) -> int:
        """How many parameters ``source`` takes: one array per column, then the ``also``."""
        return len(self.names) + len(self.also)

    def source(self, first: int, alias: str) -> str:
        """``unnest($first::T[], …) WITH ORDINALITY AS alias(name…, ord)``: the rows in the
        order given, numbered by ``ord``. The parameters are ``$first`` to
        ``$(first + parameters - 1)``."""
        declared = [column.declared for column in _columns(self.table, self.names)]
        declared += [f"{sql_type}[]" for _, sql_type in self.also]
        arrays = ", ".join(f"${first + n}::{array}" for n, array in enumerate(declared))
        names = ", ".join((*self.names, *(name for name, _ in self.also)))
        return f"unnest({arrays}) WITH ORDINALITY AS {alias}({names}, ord)"

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

    def arrays(
        self, rows: Sequence[Mapping[str, Any]], also: Sequence[Sequence[Any]] = ()
    ) -> list[EncodedArray]:
        """One array per column, in ``names`` order, of ``rows``' processed values; then one
        per ``also`` array, of its values in ``also``."""
        out = []
        for column in _columns(self.table, self.names):
            name, process = column.name, column.process
            if process is None:
                values = [row[name] for row in rows]
            else:
                values = [None if (v := row[name]) is None else process(v) for row in rows]
            out.append(encode_array(column.array_type, values))
        for (_, sql_type), values in zip(self.also, also, strict=True):
            out.append(encode_array(ARRAY_TYPES[sql_type], values))
        return out


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    process: Callable[[Any], Any] | None  #: the column type's bind processor (JSON: to text)
    declared: str  #: the array's type as the statement declares it
    cast: str  #: back to the column's type, after unnest ("" if none is needed)
    array_type: _ArrayType


@functools.cache
def _columns(table: Table, names: tuple[str, ...]) -> tuple[_Column, ...]:
    columns = []
    for name in names:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            columns.append(_Column(name, json.dumps, "TEXT[]", "::JSON", _TEXT))
            continue
        process = column_type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
        declared = column_type.compile(dialect=_DIALECT)
        array_type = ARRAY_TYPES.get(declared.split("(")[0])
        if array_type is None:
            raise TypeError(f"{table.name}.{name}: no binary array encoding for {declared}")
        columns.append(_Column(name, process, f"{declared}[]", "", array_type))
    return tuple(columns)
