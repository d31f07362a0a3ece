"""What a delivery attempt's outcome does to the ledger, as plain functions on one connection.

Each public function is the whole of one outcome; ``DeliveryLedger`` group-commits the outcomes
recorded at the same time (``record_all``) through ``Ledger.write``, and the rows they add (events,
evidence and its bytes) are written once for the batch. Every write is guarded by the lease
(``lease_owner`` = this worker), so a stale worker whose lease was taken over can never overwrite
the newer attempt's outcome: the function then returns False and writes nothing.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from . import schema as t
from .direct import Direct
from .rows import append_events, event_row, insert_delivery, store_blobs
from .states import DeliveryStatus, EventType, InvoiceStatus


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: str
    invoice_id: str
    tenant_id: str
    channel: str
    position: int
    attempt: int  #: 1-based number of the attempt about to be made
    message_id: str
    first_attempt_at: datetime | None
    reminder_id: str | None = None  #: the delivery carries this reminder, not the invoice


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    kind: str
    media_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    """One outcome to record: ``record(conn, *args)`` (``delivered``, ``retry`` or ``failure``)."""

    record: Callable[..., bool]
    args: tuple[Any, ...]


@dataclass(slots=True)
class _Appends:
    """The rows a batch of outcomes adds, written at the end of the batch: one statement per
    table for the batch, not one per outcome (on PostgreSQL, each is a round trip)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def write(self, conn: Connection) -> None:
        store_blobs(conn, self.blobs)
        _INSERT_EVIDENCE.many(conn, self.evidence)
        append_events(conn, self.events)


#: Where ``record_all`` keeps its batch's ``_Appends`` on the connection while it runs.
_APPENDS = "fakturaport.outcome_appends"


#: Where ``record_all`` keeps, on PostgreSQL, the leases it found held (and locked).
_HELD = "fakturaport.outcome_held_leases"


def record_all(conn: Connection, batch: Sequence[Outcome]) -> list[bool]:
    """Each outcome in turn, in one transaction: whether each still held its lease. Every
    outcome is ``record(conn, claim, worker, …)``."""
    appends = conn.info[_APPENDS] = _Appends()
    if conn.dialect.name == "postgresql":
        conn.info[_HELD] = _lock_held_leases(conn, batch)
    try:
        results = [outcome.record(conn, *outcome.args) for outcome in batch]
        appends.write(conn)
    finally:
        del conn.info[_APPENDS]
        conn.info.pop(_HELD, None)
    return results


def _lock_held_leases(conn: Connection, batch: Sequence[Outcome]) -> set[tuple[str, str]]:
    """The (delivery, worker) leases of ``batch`` still held, their rows locked until the commit.

    Each outcome's guard would otherwise wait for its own UPDATE's count before going on: one
    round trip per outcome in a pipelined batch. Locked, a held lease stays held, and the guards'
    updates go out unanswered with the rest."""
    pairs = {(outcome.args[0].delivery_id, outcome.args[1]) for outcome in batch}
    rows = _HELD_LEASES.rows(
        conn,
        {"ids": [delivery for delivery, _ in pairs], "workers": list({w for _, w in pairs})},
    )
    return {(row["id"], row["lease_owner"]) for row in rows} & pairs


def _appends(conn: Connection) -> _Appends | None:
    """The running batch's appends; None outside a batch (the rows are then written at once)."""
    return conn.info.get(_APPENDS)


def _add_event(conn: Connection, row: dict[str, Any]) -> None:
    """Append an event (an ``event_row``) and queue its webhooks; in a batch, with the batch's."""
    appends = _appends(conn)
    if appends is None:
        append_events(conn, [row])
    else:
        appends.events.append(row)


def delivered(
    conn: Connection,
    claim: Claim,
    worker: str,
    when: datetime,
    remote_id: str | None,
    evidence: Sequence[EvidenceItem],
    pending_confirmation: bool,
    report: Mapping[str, str],
) -> bool:
    """Handed over: delivered, or awaiting the recipient's confirmation."""
    status = (
        DeliveryStatus.AWAITING_CONFIRMATION if pending_confirmation else DeliveryStatus.DELIVERED
    )
    if not _guarded(
        conn, claim, worker, status=status, remote_id=remote_id, last_error=None, updated_at=when
    ):
        return False
    store_evidence(conn, claim.tenant_id, claim.invoice_id, claim.delivery_id, evidence, when)
    detail = {"channel": claim.channel, "attempt": claim.attempt, "remote_id": remote_id, **report}
    if claim.reminder_id is not None:
        reminder_outcome(
            conn, claim.tenant_id, claim.invoice_id, claim.delivery_id, status, detail, when
        )
        return True
    invoice_status, event = (
        (InvoiceStatus.AWAITING_CONFIRMATION, EventType.HANDED_OVER)
        if pending_confirmation
        else (InvoiceStatus.DELIVERED, EventType.DELIVERED)
    )
    set_invoice(conn, claim.invoice_id, invoice_status, when)
    _add_event(
        conn,
        event_row(claim.tenant_id, claim.invoice_id, event, detail, delivery_id=claim.delivery_id),
    )
    return True


def retry(
    conn: Connection,
    claim: Claim,
    worker: str,
    when: datetime,
    next_at: datetime,
    error: str,
    evidence: Sequence[EvidenceItem],
) -> bool:
    """A transient failure: the same channel again at ``next_at``."""
    if not _guarded(
        conn, claim, worker, next_attempt_at=next_at, last_error=error, updated_at=when
    ):
        return False
    store_evidence(conn, claim.tenant_id, claim.invoice_id, claim.delivery_id, evidence, when)
    detail = {
        "channel": claim.channel,
        "attempt": claim.attempt,
        "error": error,
        "next_attempt_at": next_at.isoformat(),
    }
    _add_event(
        conn,
        event_row(
            claim.tenant_id,
            claim.invoice_id,
            EventType.ATTEMPT_FAILED,
            detail,
            delivery_id=claim.delivery_id,
        ),
    )
    return True


def failure(
    conn: Connection,
    claim: Claim,
    worker: str,
    when: datetime,
    error: str,
    evidence: Sequence[EvidenceItem],
) -> bool:
    """This channel gave up: fall back to the next channel in the plan, or fail the invoice."""
    if not _guarded(
        conn, claim, worker, status=DeliveryStatus.FAILED, last_error=error, updated_at=when
    ):
        return False
    store_evidence(conn, claim.tenant_id, claim.invoice_id, claim.delivery_id, evidence, when)
    advance(
        conn,
        claim.tenant_id,
        claim.invoice_id,
        claim.delivery_id,
        claim.channel,
        claim.position,
        error,
        when,
        reminder_id=claim.reminder_id,
    )
    return True


def advance(
    conn: Connection,
    tenant_id: str,
    invoice_id: str,
    delivery_id: str,
    channel: str,
    position: int,
    error: str,
    when: datetime,
    *,
    reminder_id: str | None = None,
) -> None:
    """The channel at ``position`` is done with: a delivery on the next one, else ``failed``."""
    if reminder_id is not None:
        advance_reminder(conn, tenant_id, invoice_id, reminder_id, channel, position, error, when)
        return
    plan = _PLAN_OF_INVOICE.rows(conn, {"invoice_id": invoice_id})[0]["plan"]
    if position + 1 < len(plan):
        following = plan[position + 1]
        new_delivery = insert_delivery(conn, tenant_id, invoice_id, following, position + 1, when)
        _INVOICE_TO_CHANNEL.run(
            conn, {"invoice_id": invoice_id, "new_channel": following, "new_at": when}
        )
        kind, detail = EventType.FALLBACK, {"from": channel, "to": following, "error": error}
        delivery_id = new_delivery
    else:
        set_invoice(conn, invoice_id, InvoiceStatus.FAILED, when)
        kind, detail = EventType.FAILED, {"channel": channel, "error": error, "plan": plan}
    _add_event(conn, event_row(tenant_id, invoice_id, kind, detail, delivery_id=delivery_id))


def reminder_outcome(
    conn: Connection,
    tenant_id: str,
    invoice_id: str,
    delivery_id: str,
    status: str,
    detail: dict[str, Any],
    when: datetime,
) -> None:
    """A reminder's delivery was handed over or confirmed: the reminder, not the invoice, moves."""
    reminder_id = _REMINDER_OF_DELIVERY.rows(conn, {"delivery_id": delivery_id})[0]["reminder_id"]
    _update_reminder(conn, reminder_id, when, status=str(status), delivery_id=delivery_id)
    if status == DeliveryStatus.DELIVERED:
        _add_event(
            conn,
            event_row(
                tenant_id,
                invoice_id,
                EventType.REMINDER_DELIVERED,
                {"reminder_id": reminder_id, **detail},
                delivery_id=delivery_id,
            ),
        )


def advance_reminder(
    conn: Connection,
    tenant_id: str,
    invoice_id: str,
    reminder_id: str,
    channel: str,
    position: int,
    error: str,
    when: datetime,
) -> None:
    """A reminder's channel gave up: the next channel of the reminder's plan, else failed."""
    plan = _PLAN_OF_REMINDER.rows(conn, {"reminder_id": reminder_id})[0]["plan"]
    if position + 1 < len(plan):
        following = plan[position + 1]
        delivery_id: str | None = insert_delivery(
            conn, tenant_id, invoice_id, following, position + 1, when, reminder_id=reminder_id
        )
        values: dict[str, Any] = {"delivery_id": delivery_id, "status": "pending"}
        kind, detail = EventType.FALLBACK, {"from": channel, "to": following}
    else:
        delivery_id, values = None, {"status": "failed"}
        kind, detail = EventType.REMINDER_FAILED, {"channel": channel}
    _update_reminder(conn, reminder_id, when, **values)
    _add_event(
        conn,
        event_row(
            tenant_id,
            invoice_id,
            kind,
            {"reminder_id": reminder_id, "error": error, **detail},
            delivery_id=delivery_id,
        ),
    )


def _update_reminder(conn: Connection, reminder_id: str, when: datetime, **values: Any) -> None:
    params = {f"new_{name}": value for name, value in values.items()}
    _reminder_update(tuple(sorted(values))).run(
        conn, {"reminder_id": reminder_id, "new_at": when, **params}
    )


def set_invoice(conn: Connection, invoice_id: str, status: InvoiceStatus, when: datetime) -> None:
    _SET_INVOICE.run(conn, {"invoice_id": invoice_id, "new_status": status, "new_at": when})


def store_evidence(
    conn: Connection,
    tenant_id: str,
    invoice_id: str,
    delivery_id: str,
    items: Sequence[EvidenceItem],
    when: datetime,
) -> None:
    """Keep a delivery's evidence (receipts, bounces, acknowledgements), bytes content-addressed."""
    if not items:
        return
    appends = _appends(conn) or _Appends()
    for item in items:
        digest = hashlib.sha256(item.content).hexdigest()
        appends.blobs[digest] = item.content
        appends.evidence.append(
            {
                "tenant_id": tenant_id,
                "invoice_id": invoice_id,
                "delivery_id": delivery_id,
                "kind": item.kind,
                "media_type": item.media_type,
                "sha256": digest,
                "created_at": when,
            }
        )
    if _appends(conn) is None:
        appends.write(conn)


def _guarded(conn: Connection, claim: Claim, worker: str, **values: Any) -> bool:
    """Release the lease with ``values``, if this worker still holds it on a pending delivery."""
    params = {f"new_{name}": value for name, value in values.items()}
    params.update(delivery_id=claim.delivery_id, worker=worker)
    release = _release_lease(tuple(sorted(values)))
    held = conn.info.get(_HELD)
    if held is None:
        return release.run(conn, params).rowcount == 1
    if (claim.delivery_id, worker) not in held:
        return False
    held.discard((claim.delivery_id, worker))  # released now: a second outcome finds it gone
    release.send(conn, params)  # its row is locked by this transaction: it cannot miss
    return True


# Every statement here is ``Direct`` (see direct.py on why): the hot ones for their speed, and
# all of them because ``record_all`` runs pipelined on PostgreSQL, where only ``Direct``
# statements read their rows when asked.
_SET_INVOICE = Direct(
    update(t.invoices)
    .where(t.invoices.c.id == bindparam("invoice_id"))
    .values(
        status=bindparam("new_status"),
        updated_at=bindparam("new_at", type_=t.invoices.c.updated_at.type),
    )
)
_INSERT_EVIDENCE = Direct.insert(t.evidence)
_PLAN_OF_INVOICE = Direct(
    select(t.invoices.c.plan).where(t.invoices.c.id == bindparam("invoice_id"))
)
_INVOICE_TO_CHANNEL = Direct(
    update(t.invoices)
    .where(t.invoices.c.id == bindparam("invoice_id"))
    .values(
        status=InvoiceStatus.IN_PROGRESS,
        current_channel=bindparam("new_channel"),
        updated_at=bindparam("new_at", type_=t.invoices.c.updated_at.type),
    )
)
_REMINDER_OF_DELIVERY = Direct(
    select(t.deliveries.c.reminder_id).where(t.deliveries.c.id == bindparam("delivery_id"))
)
_PLAN_OF_REMINDER = Direct(
    select(t.reminders.c.plan).where(t.reminders.c.id == bindparam("reminder_id"))
)


@functools.cache
def _reminder_update(columns: tuple[str, ...]) -> Direct:
    r = t.reminders
    return Direct(
        update(r)
        .where(r.c.id == bindparam("reminder_id"))
        .values(
            updated_at=bindparam("new_at", type_=r.c.updated_at.type),
            **{c: bindparam(f"new_{c}", type_=r.c[c].type) for c in columns},
        )
    )


_HELD_LEASES = Direct(
    select(t.deliveries.c.id, t.deliveries.c.lease_owner)
    .where(
        t.deliveries.c.id == any_(bindparam("ids", type_=ARRAY(String))),
        t.deliveries.c.lease_owner == any_(bindparam("workers", type_=ARRAY(String))),
        t.deliveries.c.status == DeliveryStatus.PENDING,
    )
    .with_for_update()
)


@functools.cache
def _release_lease(columns: tuple[str, ...]) -> Direct:
    d = t.deliveries
    return Direct(
        update(d)
        .where(
            d.c.id == bindparam("delivery_id"),
            d.c.lease_owner == bindparam("worker"),
            d.c.status == DeliveryStatus.PENDING,
        )
        .values(
            lease_owner=None,
            lease_until=None,
            **{c: bindparam(f"new_{c}", type_=d.c[c].type) for c in columns},
        )
    )
