"""A batch of acceptances on PostgreSQL in one statement, atomic on its own (autocommit).

The batch's invoices go in with ``ON CONFLICT DO NOTHING`` on the idempotency key, and what
belongs to an invoice (its documents and their blobs, first delivery, open item, 'accepted' event
and that event's webhooks) goes in with it, in the same statement, for the invoices that went in
and for no other. The statement answers with the ids of those invoices; a key that was taken
already is a replay or a conflict, which the caller reads afterwards.

An invoice routed with a directory lookup (see ``directory_cache``) goes in only while its
tenant's directory is at the version that lookup was read at; otherwise it is left out like a
taken key, and the caller, finding no invoice under it, routes it again.

Asking first and inserting after, in a transaction, took two round trips, BEGIN and COMMIT, and
a statement per table, each a round of psycopg's pipeline machinery in this process and of the
executor in the server: about 1.5 ms of this process's CPU for a lone invoice. As one prepared
statement fed with arrays (see ``column_arrays``) it takes about a quarter of that, on both
sides. A key committed by another process a moment earlier is no error either: PostgreSQL waits
for that transaction and then skips the row.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from . import schema as t
from .column_arrays import ColumnArrays
from .direct import raw_cursor

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewRows:
    """The rows of a batch's invoices, each set as ``acceptance._rows`` builds them."""

    invoices: Sequence[Row]
    #: per invoice, the directory version its route was read at (None: not checked)
    directory_versions: Sequence[int | None]
    blobs: Sequence[Row]
    documents: Sequence[Row]
    deliveries: Sequence[Row]
    receivables: Sequence[Row]
    events: Sequence[Row]


def insert_new(conn: Connection, rows: NewRows, stamp: datetime) -> set[str]:
    """Inserts ``rows`` for the invoices whose idempotency key is free; their ids. ``stamp``:
    when the webhooks of their events are first due."""
    statement = _statement(_shape(rows))
    params: list[Any] = []
    for arrays, table_rows in zip(statement.tables, _in_order(rows), strict=True):
        also = (rows.directory_versions,) if arrays.also else ()
        params += arrays.arrays(table_rows, also)
    params.append(stamp)
    cursor = raw_cursor(conn).execute(statement.sql, params, prepare=True)
    return {row[0] for row in cursor.fetchall()}


def _in_order(rows: NewRows) -> tuple[Sequence[Row], ...]:
    return (
        rows.invoices,
        rows.blobs,
        rows.documents,
        rows.deliveries,
        rows.receivables,
        rows.events,
    )


def _shape(rows: NewRows) -> tuple[tuple[str, ...], ...]:
    """Each table's column names (those of its first row; the invoice's always exist)."""
    return tuple(tuple(table_rows[0]) if table_rows else () for table_rows in _in_order(rows))


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    tables: tuple[ColumnArrays, ...]


@functools.cache
def _statement(shape: tuple[tuple[str, ...], ...]) -> _Statement:
    """The statement for tables with these columns (one shape per set of columns, which the
    row builders keep fixed: a few statements in all)."""
    tables = (t.invoices, t.blobs, t.documents, t.deliveries, t.receivables, t.events)
    arrays = tuple(
        ColumnArrays(table, names or _any_columns(table), _GUARD if table is t.invoices else ())
        for table, names in zip(tables, shape, strict=True)
    )
    invoices, blobs, documents, deliveries, receivables, events = arrays
    first = [1]
    for table in arrays:
        first.append(first[-1] + table.parameters)
    stamp = first[-1]
    new_invoice = "{alias}.invoice_id IN (SELECT id FROM new_invoices)"
    sql = f"""
WITH new_invoices AS (
  {invoices.insert(first[0], "i", _GUARD_HOLDS)}
  ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
  RETURNING id
), new_documents AS (
  SELECT {documents.select("d")}, d.ord FROM {documents.source(first[2], "d")}
  WHERE {new_invoice.format(alias="d")}
), stored_blobs AS (
  {blobs.insert(first[1], "b", "b.sha256 IN (SELECT sha256 FROM new_documents)")}
  ON CONFLICT DO NOTHING
), stored_documents AS (
  INSERT INTO documents ({", ".join(documents.names)})
  SELECT {", ".join(documents.names)} FROM new_documents ORDER BY ord
), stored_deliveries AS (
  {deliveries.insert(first[3], "x", new_invoice.format(alias="x"))}
), stored_receivables AS (
  {receivables.insert(first[4], "r", new_invoice.format(alias="r"))}
), stored_events AS (
  {events.insert(first[5], "e", new_invoice.format(alias="e"))}
  RETURNING id, tenant_id, type
), queued_webhooks AS (
  INSERT INTO webhook_outbox (tenant_id, endpoint_id, event_id, attempts, next_attempt_at)
  SELECT e.tenant_id, w.id, e.id, 0, ${stamp}::TIMESTAMP WITH TIME ZONE
  FROM stored_events e JOIN webhook_endpoints w
    ON w.tenant_id = e.tenant_id AND w.active = 1
   AND (json_array_length(w.events) = 0 OR w.events::jsonb ? e.type)
  ORDER BY e.id, w.id
)
SELECT id FROM new_invoices"""
    return _Statement(sql, arrays)


#: Beside the invoices' columns: the directory version each was routed with.
_GUARD = (("directory_version", "BIGINT"),)
_GUARD_HOLDS = (
    "i.directory_version IS NULL"
    " OR i.directory_version = (SELECT directory_version FROM tenants WHERE id = i.tenant_id)"
)


def _any_columns(table: Table) -> tuple[str, ...]:
    """For a table the batch has no rows for (empty arrays): the columns the statement names."""
    return _NAMED.get(table.name, ("invoice_id",))


_NAMED = {"blobs": ("sha256",), "documents": ("invoice_id", "sha256")}
