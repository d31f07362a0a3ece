"""The binary arrays of ``column_arrays`` read back on PostgreSQL as the values that went in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.ledger import Ledger
from gateway.ledger import schema as t
from gateway.ledger.column_arrays import ARRAY_TYPES, ColumnArrays, encode_array
from gateway.ledger.direct import raw_cursor

_HELSINKI = timezone(timedelta(hours=2))

_VALUES = {
    "TEXT": ["", "Fakturaport AB", "åäö ÆØÅ € \U0001f9fe", None, "x" * 5000],
    "INTEGER": [0, -1, 2**31 - 1, -(2**31), None],
    "BIGINT": [0, -1, 2**63 - 1, -(2**63), None],
    "BYTEA": [b"", b"\x00\xff\x00", bytes(range(256)) * 40, None],
    "TIMESTAMP WITH TIME ZONE": [
        datetime(2026, 11, 23, 21, 5, 7, 123456, tzinfo=UTC),
        datetime(2026, 11, 23, 23, 5, 7, 1, tzinfo=_HELSINKI),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before PostgreSQL's epoch
        None,
    ],
}


@pytest.fixture
async def postgres(pg_database):
    ledger = await Ledger.open(pg_database)
    yield ledger
    await ledger.aclose()


@pytest.mark.parametrize("type_name", sorted(_VALUES))
async def test_each_type_reads_back_as_it_went_in(postgres, type_name):
    values = _VALUES[type_name]
    encoded = [
        encode_array(ARRAY_TYPES[type_name], values),
        encode_array(ARRAY_TYPES[type_name], []),
        encode_array(ARRAY_TYPES[type_name], [None]),
    ]
    sql = f"SELECT $1::{type_name}[], $2::{type_name}[], $3::{type_name}[]"

    def select(conn):
        return tuple(raw_cursor(conn).execute(sql, encoded).fetchall()[0])

    full, empty, only_null = await postgres.read(select)
    assert full == values
    assert empty == [] and only_null == [None]


async def test_a_table_s_columns_go_through_their_types_processors(postgres):
    """JSON columns as text cast back to JSON; datetimes as UTC; lengths as the table's."""
    arrays = ColumnArrays(t.events, ("id", "type", "detail", "at"))
    at = datetime(2026, 11, 23, 22, 0, tzinfo=_HELSINKI)
    rows = [
        {"id": 7, "type": "invoice.accepted", "detail": {"plan": ["spool"], "n": 1}, "at": at},
        {"id": 8, "type": "invoice.failed", "detail": {}, "at": None},
    ]
    sql = f"SELECT e.id, e.type, e.detail::TEXT, e.at FROM {arrays.source(1, 'e')} ORDER BY e.ord"

    def select(conn):
        return [tuple(row) for row in raw_cursor(conn).execute(sql, arrays.arrays(rows)).fetchall()]

    assert await postgres.read(select) == [
        (7, "invoice.accepted", '{"plan": ["spool"], "n": 1}', at.astimezone(UTC)),
        (8, "invoice.failed", "{}", None),
    ]
