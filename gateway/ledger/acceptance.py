"""Accepting invoices: the invoice, its documents, first delivery, open item, 'accepted' event and
webhook outbox rows, stored atomically.

Concurrent acceptances are group-committed (see ``group_commit``): everything that arrived while
the previous batch was being written goes in together, on SQLite as one transaction of a
statement per table, on PostgreSQL as one statement (see ``acceptance_postgres``). The
idempotency key decides replays inside a batch exactly as across batches.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from . import schema as t
from .acceptance_postgres import NewRows, insert_new
from .direct import Direct, Pending, numbered, numbered_binds
from .directory import DIRECTORY_VERSION
from .ids import new_id, now
from .rows import (
    Subscriptions,
    append_events,
    delivery_row,
    document_row,
    event_row,
    insert_deliveries,
    receivable_row,
    store_blobs,
)
from .states import EventType, InvoiceStatus

#: Acceptances written together at most; SQLite allows 32,766 bound parameters per statement.
MAX_BATCH = 128


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    kind: str  #: original, ubl, pdf, svefaktura, cii
    media_type: str
    content: bytes
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Everything ``accept`` stores for one invoice."""

    tenant_id: str
    idempotency_key: str
    body_hash: str
    number: str | None
    kind: str
    buyer_name: str | None
    buyer_key: str | None
    currency: str | None
    payable: str | None
    due_date: str | None
    plan: tuple[str, ...]
    recipient: Mapping[str, Any]
    documents: tuple[RenderedDocument, ...]
    detail: Mapping[str, Any] = field(default_factory=dict)
    seller_name: str | None = None
    #: the open item to track (reference, customer, customer_type); None: not followed to payment
    receivable: Mapping[str, Any] | None = None
    #: the version of the tenant's recipient directory the plan was made from (see
    #: ``directory_cache``; checked in the transaction that stores it); None: stored
    #: whatever the directory holds now
    directory_version: int | None = None


@dataclass(frozen=True, slots=True)
class AcceptResult:
    invoice_id: str
    created: bool  #: False: the same key and body were accepted before (a replay)
    conflict: bool = False  #: the key was used before with a different body
    status: str = InvoiceStatus.ACCEPTED
    #: nothing stored: the tenant's directory changed since the plan was made; route it again
    directory_changed: bool = False


#: The result for an acceptance whose route came from a directory that has changed since.
DIRECTORY_CHANGED = AcceptResult("", created=False, directory_changed=True)


class _Prior(NamedTuple):
    id: str
    body_hash: str
    status: str


class AcceptanceLedger:
    """Mixed into ``Ledger`` (which provides ``write``, ``write_statement``, ``read``, the group
    committer, ``dialect``, ``integrity_errors`` and ``directory_changed``)."""

    integrity_errors: tuple[type[Exception], ...]
    dialect: str
    directory_changed: Callable[[str, int], None]

    async def accept(self, a: Acceptance) -> AcceptResult:
        """Store one invoice (committed with whatever else is being accepted right now)."""
        return await self._acceptances.submit(a)

    async def accept_many(self, batch: Sequence[Acceptance]) -> list[AcceptResult]:
        """Accept a batch atomically; results in the order given."""
        if self.dialect == "postgresql":
            return await self._accept_in_one_statement(batch)
        try:
            results = await self.write(_accept_in, batch)
        except self.integrity_errors:
            # Another process committed one of these idempotency keys after we looked. One
            # transaction each, so only that invoice turns into a replay.
            if len(batch) > 1:
                return [result for a in batch for result in await self.accept_many([a])]
            replay = (await self.read(_prior, batch)).get(_key(batch[0]))
            if replay is None:
                raise
            return [_replayed(replay, batch[0])]
        for a, result in zip(batch, results, strict=True):
            if result.directory_changed and a.directory_version is not None:
                self.directory_changed(a.tenant_id, a.directory_version + 1)
        return results

    async def _accept_in_one_statement(self, batch: Sequence[Acceptance]) -> list[AcceptResult]:
        """PostgreSQL (see ``acceptance_postgres``): the batch's new keys are inserted first,
        and only the keys found taken are read."""
        first: dict[tuple[str, str], tuple[int, str]] = {}  # key: its first position, new id
        for position, a in enumerate(batch):
            first.setdefault(_key(a), (position, new_id()))
        fresh = [(invoice_id, batch[position]) for position, invoice_id in first.values()]
        inserted = await self.write_statement(_insert_new, fresh)
        taken = [a for invoice_id, a in fresh if invoice_id not in inserted]
        prior = await self.read(_prior, taken) if taken else {}
        # A taken key whose invoice has the id given here was taken by this batch itself: its
        # statement ran again after a lost connection (see ``write_statement``).
        ours = inserted | {p.id for p in prior.values()}
        results = []
        for position, a in enumerate(batch):
            first_position, invoice_id = first[_key(a)]
            if invoice_id in ours:
                original = batch[first_position]
                results.append(
                    AcceptResult(invoice_id, created=True)
                    if position == first_position
                    else _replayed(
                        _Prior(invoice_id, original.body_hash, InvoiceStatus.ACCEPTED), a
                    )
                )
            elif _key(a) in prior:
                results.append(_replayed(prior[_key(a)], a))
            elif a.directory_version is not None:  # left out: the directory has changed
                self.directory_changed(a.tenant_id, a.directory_version + 1)
                results.append(DIRECTORY_CHANGED)
            else:  # the statement found it taken: it cannot be gone
                raise LookupError(f"idempotency key {a.idempotency_key!r} taken, not found")
        return results


def _insert_new(conn: Connection, fresh: Sequence[tuple[str, Acceptance]]) -> set[str]:
    return insert_new(conn, _rows(fresh), now())


def _accept_in(conn: Connection, batch: Sequence[Acceptance]) -> list[AcceptResult]:
    """SQLite: the keys already taken are asked for, then the new invoices inserted."""
    asked = _ask_prior(conn, batch)
    subscriptions = Subscriptions(conn, {a.tenant_id for a in batch})
    known = _read_prior(asked)
    versions = _directory_versions(
        conn, {a.tenant_id for a in batch if a.directory_version is not None}
    )
    results: list[AcceptResult] = []
    fresh: list[tuple[str, Acceptance]] = []
    for a in batch:
        prior = known.get(_key(a))
        if prior is not None:
            results.append(_replayed(prior, a))
            continue
        if a.directory_version is not None and versions.get(a.tenant_id) != a.directory_version:
            results.append(DIRECTORY_CHANGED)  # routed from a directory that has changed since
            continue
        invoice_id = new_id()
        known[_key(a)] = _Prior(invoice_id, a.body_hash, InvoiceStatus.ACCEPTED)
        fresh.append((invoice_id, a))
        results.append(AcceptResult(invoice_id, created=True))
    if fresh:
        _insert(conn, fresh, subscriptions)
    return results


def _directory_versions(conn: Connection, tenant_ids: set[str]) -> dict[str, int]:
    """The tenants' directory versions now, in the writing transaction (SQLite's single writer:
    no change can come between this read and the insert)."""
    versions = {}
    for tenant_id in tenant_ids:
        rows = DIRECTORY_VERSION.rows(conn, {"tenant_id": tenant_id})
        if rows:
            versions[tenant_id] = rows[0]["directory_version"]
    return versions


_INSERT_INVOICE = Direct.insert(t.invoices)
_INSERT_DOCUMENT = Direct.insert(t.documents)
_INSERT_RECEIVABLE = Direct.insert(t.receivables)


def _ask_prior(conn: Connection, batch: Sequence[Acceptance]) -> list[Pending]:
    """Asks for the invoices already stored under the batch's idempotency keys."""
    if conn.dialect.name == "postgresql":
        keys = list({_key(a) for a in batch})
        values = {"tenants": [k[0] for k in keys], "keys": [k[1] for k in keys]}
        return [_PRIOR_BY_KEY_PAIRS.send(conn, values)]
    keys_by_tenant: dict[str, set[str]] = {}
    for a in batch:
        keys_by_tenant.setdefault(a.tenant_id, set()).add(a.idempotency_key)
    return [
        _prior_by_keys(len(keys)).send(conn, {"tenant_id": tenant_id, **numbered("key", keys)})
        for tenant_id, keys in keys_by_tenant.items()
    ]


def _prior(conn: Connection, batch: Sequence[Acceptance]) -> dict[tuple[str, str], _Prior]:
    return _read_prior(_ask_prior(conn, batch))


def _read_prior(asked: Sequence[Pending]) -> dict[tuple[str, str], _Prior]:
    return {
        (row["tenant_id"], row["idempotency_key"]): _Prior(
            row["id"], row["body_hash"], row["status"]
        )
        for pending in asked
        for row in pending.rows()
    }


_PRIOR_COLUMNS = (
    t.invoices.c.tenant_id,
    t.invoices.c.idempotency_key,
    t.invoices.c.id,
    t.invoices.c.body_hash,
    t.invoices.c.status,
)


@functools.cache
def _prior_by_keys(count: int) -> Direct:
    """One statement per number of keys (a batch holds at most ``MAX_BATCH``)."""
    i = t.invoices
    return Direct(
        select(*_PRIOR_COLUMNS).where(
            i.c.tenant_id == bindparam("tenant_id"),
            i.c.idempotency_key.in_(numbered_binds("key", count)),
        )
    )


# PostgreSQL: every (tenant, key) pair of the batch in one statement, each looked up by the whole
# unique key, and planned at each call for the table as it is then. `tenant_id = $1 AND
# idempotency_key IN (...)` was planned, until the table's first ANALYZE, as a scan of every
# invoice of the tenant through another index on tenant_id (2.9 ms a batch at 2,500 invoices,
# growing with each); a plan kept from the table's first minutes hash-joined a scan of the whole
# table. Planned at each call, the lookups go through the unique index once the table holds a
# few thousand invoices, statistics or none.
_PAIRS = (
    func.unnest(bindparam("tenants", type_=ARRAY(String)), bindparam("keys", type_=ARRAY(String)))
    .table_valued("tenant_id", "key")
    .render_derived(name="asked")
)
_PRIOR_BY_KEY_PAIRS = Direct(
    select(*_PRIOR_COLUMNS).join_from(
        _PAIRS,
        t.invoices,
        (t.invoices.c.tenant_id == _PAIRS.c.tenant_id)
        & (t.invoices.c.idempotency_key == _PAIRS.c.key),
    ),
    planned_each_time=True,
)


def _insert(
    conn: Connection, fresh: Sequence[tuple[str, Acceptance]], subscriptions: Subscriptions
) -> None:
    rows = _rows(fresh)
    _INSERT_INVOICE.many(conn, rows.invoices)
    store_blobs(conn, {blob["sha256"]: blob["content"] for blob in rows.blobs})
    _INSERT_DOCUMENT.many(conn, rows.documents)
    insert_deliveries(conn, rows.deliveries)
    _INSERT_RECEIVABLE.many(conn, rows.receivables)
    append_events(conn, rows.events, subscriptions)


def _rows(fresh: Sequence[tuple[str, Acceptance]]) -> NewRows:
    """Every row the invoices ``fresh`` (id, acceptance) store, table by table."""
    stamp = now()
    blobs: dict[str, bytes] = {}
    documents, deliveries, receivables, events = [], [], [], []
    for invoice_id, a in fresh:
        for doc in a.documents:
            digest = hashlib.sha256(doc.content).hexdigest()
            blobs[digest] = doc.content
            documents.append(document_row(invoice_id, doc, digest))
        delivery = delivery_row(a.tenant_id, invoice_id, a.plan[0], 0, stamp)
        deliveries.append(delivery)
        if a.receivable is not None and a.currency and a.payable is not None:
            receivables.append(
                receivable_row(
                    invoice_id,
                    a.tenant_id,
                    reference=a.receivable.get("reference"),
                    customer=a.receivable.get("customer"),
                    customer_type=a.receivable.get("customer_type", "company"),
                    currency=a.currency,
                    amount=Decimal(a.payable),
                    due_date=a.due_date,
                    credit=a.kind == "credit_note",
                )
            )
        events.append(
            event_row(
                a.tenant_id,
                invoice_id,
                EventType.ACCEPTED,
                {"number": a.number, "plan": list(a.plan), **a.detail},
                delivery_id=delivery["id"],
            )
        )
    return NewRows(
        invoices=[_invoice_row(i, a, stamp) for i, a in fresh],
        directory_versions=[a.directory_version for _, a in fresh],
        blobs=[{"sha256": digest, "content": content} for digest, content in blobs.items()],
        documents=documents,
        deliveries=deliveries,
        receivables=receivables,
        events=events,
    )


def _key(a: Acceptance) -> tuple[str, str]:
    return (a.tenant_id, a.idempotency_key)


def _replayed(prior: _Prior, a: Acceptance) -> AcceptResult:
    return AcceptResult(
        prior.id, created=False, conflict=prior.body_hash != a.body_hash, status=prior.status
    )


def _invoice_row(invoice_id: str, a: Acceptance, stamp: datetime) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "tenant_id": a.tenant_id,
        "number": a.number,
        "kind": a.kind,
        "seller_name": a.seller_name,
        "buyer_name": a.buyer_name,
        "buyer_key": a.buyer_key,
        "currency": a.currency,
        "payable": a.payable,
        "due_date": a.due_date,
        "idempotency_key": a.idempotency_key,
        "body_hash": a.body_hash,
        "status": InvoiceStatus.ACCEPTED,
        "plan": list(a.plan),
        "recipient": dict(a.recipient),
        "current_channel": a.plan[0],
        "overdue": 0,
        "created_at": stamp,
        "updated_at": stamp,
    }
