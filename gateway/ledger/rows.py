"""Rows and writes shared by accepting, retrying and reminding, each built in one place.

The writes are plain functions on a synchronous connection: ``Ledger.write`` runs them as one
transaction, an async caller through ``AsyncConnection.run_sync``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from . import schema as t
from .direct import Direct, Pending
from .ids import new_id, now
from .states import WEBHOOK_EVENTS, DeliveryStatus, EventType

if TYPE_CHECKING:
    from .acceptance import RenderedDocument


def delivery_row(
    tenant_id: str,
    invoice_id: str,
    channel: str,
    position: int,
    due: datetime,
    *,
    reminder_id: str | None = None,
) -> dict[str, Any]:
    stamp = now()
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "invoice_id": invoice_id,
        "channel": channel,
        "position": position,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "message_id": f"{uuid.uuid4()}@fakturaport",
        "next_attempt_at": due,
        "reminder_id": reminder_id,
        "created_at": stamp,
        "updated_at": stamp,
    }


def document_row(invoice_id: str, doc: RenderedDocument, digest: str) -> dict[str, Any]:
    """A document of an invoice; its bytes are the blob ``digest``."""
    return {
        "invoice_id": invoice_id,
        "kind": doc.kind,
        "sha256": digest,
        "media_type": doc.media_type,
        "filename": doc.filename,
    }


def event_row(
    tenant_id: str,
    invoice_id: str | None,
    kind: EventType,
    detail: Mapping[str, Any],
    *,
    delivery_id: str | None = None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "invoice_id": invoice_id,
        "delivery_id": delivery_id,
        "type": str(kind),
        "detail": dict(detail),
        "at": now(),
    }


def receivable_row(
    invoice_id: str,
    tenant_id: str,
    *,
    reference: str | None,
    customer: str | None,
    customer_type: str,
    currency: str,
    amount: Decimal,
    due_date: str | None,
    credit: bool,
) -> dict[str, Any]:
    """An open item; a credit note is tracked as already settled (it is owed to the buyer)."""
    return {
        "invoice_id": invoice_id,
        "tenant_id": tenant_id,
        "reference": reference,
        "customer": customer,
        "customer_type": customer_type,
        "currency": currency,
        "amount": str(amount),
        "open_amount": "0" if credit else str(amount),
        "due_date": due_date,
        "state": "credited" if credit else "open",
        "reminders_sent": 0,
        "compensation_charged": 0,
        "updated_at": now(),
    }


# The per-invoice writes run as ``Direct`` statements (see direct.py on why).
_INSERT_DELIVERY = Direct.insert(t.deliveries)
_INSERT_EVENT = Direct.insert(t.events)
#: for an event a webhook endpoint subscribes to: its outbox row needs the id
_INSERT_EVENT_RETURNING_ID = Direct(
    insert(t.events)
    .values({c.name: bindparam(c.name, type_=c.type) for c in t.events.columns if c.name != "id"})
    .returning(t.events.c.id)
)
_INSERT_OUTBOX = Direct.insert(t.webhook_outbox)
_ENDPOINTS_OF = Direct(
    select(t.webhook_endpoints.c.id, t.webhook_endpoints.c.events).where(
        t.webhook_endpoints.c.tenant_id == bindparam("tenant_id"),
        t.webhook_endpoints.c.active == 1,
    )
)
_UPSERT_BLOB = {
    "sqlite": Direct(sqlite_insert(t.blobs).on_conflict_do_nothing()),
    "postgresql": Direct(postgresql_insert(t.blobs).on_conflict_do_nothing()),
}


def insert_delivery(
    conn: Connection,
    tenant_id: str,
    invoice_id: str,
    channel: str,
    position: int,
    due: datetime,
    *,
    reminder_id: str | None = None,
) -> str:
    row = delivery_row(tenant_id, invoice_id, channel, position, due, reminder_id=reminder_id)
    _INSERT_DELIVERY.run(conn, row)
    return row["id"]


def insert_deliveries(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    _INSERT_DELIVERY.many(conn, rows)


def insert_event(
    conn: Connection,
    tenant_id: str,
    invoice_id: str | None,
    kind: EventType,
    detail: Mapping[str, Any],
    *,
    delivery_id: str | None = None,
) -> None:
    """Append an event to the log and queue its webhooks."""
    append_events(conn, [event_row(tenant_id, invoice_id, kind, detail, delivery_id=delivery_id)])


def append_events(
    conn: Connection,
    rows: Sequence[Mapping[str, Any]],
    subscriptions: Subscriptions | None = None,
) -> None:
    """Append events to the log, in order, and queue their webhooks. An event's id is read back
    only when a webhook endpoint subscribes to it (its outbox row points at the event); the rest
    are written in one driver call per run. ``subscriptions``: asked for earlier by the caller."""
    if subscriptions is None:
        subscriptions = Subscriptions(
            conn, {r["tenant_id"] for r in rows if r["type"] in WEBHOOK_EVENTS}
        )
    queued: list[tuple[Mapping[str, Any], list[str], Pending]] = []
    plain: list[Mapping[str, Any]] = []
    for row in rows:
        endpoints = subscriptions.endpoints(row)
        if not endpoints:
            plain.append(row)
            continue
        _INSERT_EVENT.many(conn, plain)
        plain = []
        queued.append((row, endpoints, _INSERT_EVENT_RETURNING_ID.send(conn, row)))
    _INSERT_EVENT.many(conn, plain)
    # Every id is asked for before the first is read: in a pipeline they come back together.
    _queue_webhooks(conn, [(row, ids.rows()[0]["id"], ends) for row, ends, ids in queued])


class Subscriptions:
    """The tenants' active webhook endpoints. Created when the question can be sent, read when
    the answer is needed: in a pipeline it travels with the statements sent before it."""

    def __init__(self, conn: Connection, tenant_ids: Iterable[str]) -> None:
        self._conn = conn
        self._pending = {
            tenant_id: _ENDPOINTS_OF.send(conn, {"tenant_id": tenant_id})
            for tenant_id in tenant_ids
        }
        self._read: dict[str, list[dict]] = {}

    def endpoints(self, row: Mapping[str, Any]) -> list[str]:
        """The ids of the endpoints subscribed to the event ``row``."""
        if row["type"] not in WEBHOOK_EVENTS:
            return []
        tenant_id = row["tenant_id"]
        endpoints = self._read.get(tenant_id)
        if endpoints is None:
            pending = self._pending.pop(tenant_id, None)
            if pending is None:  # a tenant not asked about beforehand
                pending = _ENDPOINTS_OF.send(self._conn, {"tenant_id": tenant_id})
            endpoints = self._read[tenant_id] = pending.rows()
        return [e["id"] for e in endpoints if not e["events"] or row["type"] in e["events"]]


def store_blobs(conn: Connection, blobs: Mapping[str, bytes]) -> None:
    """Content-addressed: equal bytes are stored once (a concurrent duplicate is a no-op)."""
    _UPSERT_BLOB[conn.dialect.name].many(
        conn, [{"sha256": digest, "content": content} for digest, content in blobs.items()]
    )


def _queue_webhooks(
    conn: Connection, events: Sequence[tuple[Mapping[str, Any], int, Sequence[str]]]
) -> None:
    """Outbox rows: one per event (row, id, subscribed endpoints) and endpoint."""
    _INSERT_OUTBOX.many(
        conn,
        [
            {
                "tenant_id": row["tenant_id"],
                "endpoint_id": endpoint_id,
                "event_id": event_id,
                "attempts": 0,
                "next_attempt_at": now(),
            }
            for row, event_id, endpoints in events
            for endpoint_id in endpoints
        ],
    )
