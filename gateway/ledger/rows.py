"""Rows and writes shared by accepting, retrying and reminding, each built in one place.

The writes are plain functions on a synchronous connection: ``Ledger.write`` runs them as one
transaction, an async caller through ``AsyncConnection.run_sync``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from . import schema as t
from .direct import Direct
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


def append_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append events to the log, in order, and queue their webhooks. An event's id is read back
    only when a webhook endpoint subscribes to it (its outbox row points at the event); the rest
    are written in one driver call per run."""
    subscribers = _subscribers(conn, rows)
    queued: list[tuple[Mapping[str, Any], int]] = []
    plain: list[Mapping[str, Any]] = []
    for row, endpoints in zip(rows, subscribers, strict=True):
        if not endpoints:
            plain.append(row)
            continue
        _INSERT_EVENT.many(conn, plain)
        plain = []
        queued.append((row, _INSERT_EVENT_RETURNING_ID.rows(conn, row)[0]["id"]))
    _INSERT_EVENT.many(conn, plain)
    _queue_webhooks(conn, queued, [s for s in subscribers if s])


def store_blobs(conn: Connection, blobs: Mapping[str, bytes]) -> None:
    """Content-addressed: equal bytes are stored once (a concurrent duplicate is a no-op)."""
    _UPSERT_BLOB[conn.dialect.name].many(
        conn, [{"sha256": digest, "content": content} for digest, content in blobs.items()]
    )


def _subscribers(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """For each event row, the ids of the tenant's active endpoints subscribed to its type."""
    endpoints_of: dict[str, list[dict]] = {}
    out = []
    for row in rows:
        if row["type"] not in WEBHOOK_EVENTS:
            out.append([])
            continue
        tenant_id = row["tenant_id"]
        if tenant_id not in endpoints_of:
            endpoints_of[tenant_id] = _ENDPOINTS_OF.rows(conn, {"tenant_id": tenant_id})
        out.append(
            [
                endpoint["id"]
                for endpoint in endpoints_of[tenant_id]
                if not endpoint["events"] or row["type"] in endpoint["events"]
            ]
        )
    return out


def _queue_webhooks(
    conn: Connection,
    events: Sequence[tuple[Mapping[str, Any], int]],
    subscribers: Sequence[Sequence[str]],
) -> None:
    """Outbox rows: one per event (row, id) and subscribed endpoint."""
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
            for (row, event_id), endpoints in zip(events, subscribers, strict=True)
            for endpoint_id in endpoints
        ],
    )
