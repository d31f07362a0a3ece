"""Rows and writes shared by accepting, retrying and reminding, each built in one place.

The writes are plain functions on a synchronous connection: a batch runs them in the SQLite
writer thread, an async caller through ``AsyncConnection.run_sync``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from . import schema as t
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


# Statements on the per-invoice hot path are built once: SQLAlchemy spends several times longer
# building and keying a statement than SQLite spends running it.
_INSERT_DELIVERY = insert(t.deliveries)
_INSERT_EVENT = insert(t.events).returning(t.events.c.id)
_ENDPOINTS_OF = select(t.webhook_endpoints.c.id, t.webhook_endpoints.c.events).where(
    t.webhook_endpoints.c.tenant_id == bindparam("tenant_id"),
    t.webhook_endpoints.c.active == 1,
)


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
    conn.execute(_INSERT_DELIVERY, row)
    return row["id"]


def insert_event(
    conn: Connection,
    tenant_id: str,
    invoice_id: str | None,
    kind: EventType,
    detail: Mapping[str, Any],
    *,
    delivery_id: str | None = None,
) -> int:
    """Append an event to the log and queue its webhooks; the event's id."""
    row = event_row(tenant_id, invoice_id, kind, detail, delivery_id=delivery_id)
    event_id = conn.execute(_INSERT_EVENT, row).scalar_one()
    fan_out(conn, [(row, event_id)])
    return event_id


def store_blobs(conn: Connection, blobs: Mapping[str, bytes]) -> None:
    """Content-addressed: equal bytes are stored once (a concurrent duplicate is a no-op)."""
    if not blobs:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    conn.execute(
        upsert(t.blobs).on_conflict_do_nothing(),
        [{"sha256": digest, "content": content} for digest, content in blobs.items()],
    )


def fan_out(conn: Connection, events: Sequence[tuple[Mapping[str, Any], int]]) -> None:
    """Queue webhook deliveries for the events (row, id) that tenants' endpoints subscribe to."""
    endpoints_of: dict[str, list[Any]] = {}
    outbox = []
    for row, event_id in events:
        if row["type"] not in WEBHOOK_EVENTS:
            continue
        tenant_id = row["tenant_id"]
        if tenant_id not in endpoints_of:
            endpoints_of[tenant_id] = conn.execute(_ENDPOINTS_OF, {"tenant_id": tenant_id}).all()
        outbox.extend(
            {
                "tenant_id": tenant_id,
                "endpoint_id": endpoint.id,
                "event_id": event_id,
                "attempts": 0,
                "next_attempt_at": now(),
            }
            for endpoint in endpoints_of[tenant_id]
            if not endpoint.events or row["type"] in endpoint.events
        )
    if outbox:
        conn.execute(insert(t.webhook_outbox), outbox)
