"""Read side of the ledger: tracking, documents, evidence, the event feed and reconciliation.

Every query takes the tenant id and filters on it: a tenant never reads another's rows.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Numeric, Select, and_, cast, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from . import schema as t
from .direct import Direct, numbered, numbered_binds
from .states import InvoiceStatus


def _cursor(created_at: datetime, invoice_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), invoice_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    """An opaque cursor back into (created_at, id); ValueError when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, invoice_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(stamp), str(invoice_id)
    except (ValueError, TypeError) as exc:
        raise ValueError("invalid cursor") from exc


class QueryLedger:
    """Mixed into ``Ledger``: what the tracking API and the dashboard read."""

    async def get_invoice(self, tenant_id: str, invoice_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(t.invoices).where(
                            t.invoices.c.id == invoice_id, t.invoices.c.tenant_id == tenant_id
                        )
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            deliveries = (
                (
                    await conn.execute(
                        select(t.deliveries)
                        .where(
                            t.deliveries.c.invoice_id == invoice_id,
                            t.deliveries.c.reminder_id.is_(None),  # reminders: /v1/receivables
                        )
                        .order_by(t.deliveries.c.created_at)
                    )
                )
                .mappings()
                .all()
            )
        return {**dict(row), "deliveries": [dict(d) for d in deliveries]}

    async def list_invoices(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        channel: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        query: str | None = None,
        overdue: bool | None = None,
        recipient: str | None = None,
        amount_min: Decimal | None = None,
        amount_max: Decimal | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first with keyset cursors; another ``sort`` (``amount``, ``-amount``, ``number``,
        ``buyer``, ``due``, ``status``, ``created``) pages by offset. ValueError for a bad cursor or sort."""
        i = t.invoices
        amount = cast(i.c.payable, Numeric(20, 4))
        conditions = [i.c.tenant_id == tenant_id]
        if recipient:
            like = f"%{recipient.lower()}%"
            conditions.append(
                or_(func.lower(i.c.buyer_name).like(like), func.lower(i.c.buyer_key).like(like))
            )
        if amount_min is not None:
            conditions.append(amount >= amount_min)
        if amount_max is not None:
            conditions.append(amount <= amount_max)
        if sort and sort != "-created":  # newest first is the keyset order below
            columns = {
                "amount": amount,
                "number": i.c.number,
                "buyer": func.lower(i.c.buyer_name),
                "due": i.c.due_date,
                "status": i.c.status,
                "created": i.c.created_at,
            }
            column = columns.get(sort.lstrip("-"))
            if column is None:
                raise ValueError(
                    f"cannot sort by {sort!r}; one of {sorted(columns)}, '-' first for descending"
                )
            offset = int(cursor) if cursor and cursor.isdigit() else 0
            if cursor and not cursor.isdigit():
                raise ValueError("invalid cursor")
            order = column.desc() if sort.startswith("-") else column.asc()
            stmt = (
                select(i).where(*conditions).order_by(order, i.c.id).offset(offset).limit(limit + 1)
            )
            async with self.engine.connect() as conn:
                rows = [dict(r) for r in (await conn.execute(stmt)).mappings().all()]
            return rows[:limit], str(offset + limit) if len(rows) > limit else None
        if status:
            conditions.append(i.c.status == status)
        if channel:
            conditions.append(i.c.current_channel == channel)
        if since:
            conditions.append(i.c.created_at >= since)
        if until:
            conditions.append(i.c.created_at < until)
        if overdue is not None:
            conditions.append(i.c.overdue == (1 if overdue else 0))
        if query:
            like = f"%{query.lower()}%"
            conditions.append(
                or_(func.lower(i.c.number).like(like), func.lower(i.c.buyer_name).like(like))
            )
        if cursor:
            stamp, last_id = parse_cursor(cursor)
            conditions.append(
                or_(i.c.created_at < stamp, and_(i.c.created_at == stamp, i.c.id < last_id))
            )
        stmt = (
            select(i)
            .where(*conditions)
            .order_by(i.c.created_at.desc(), i.c.id.desc())
            .limit(limit + 1)
        )
        async with self.engine.connect() as conn:
            rows = [dict(r) for r in (await conn.execute(stmt)).mappings().all()]
        following = None
        if len(rows) > limit:
            rows = rows[:limit]
            following = _cursor(rows[-1]["created_at"], rows[-1]["id"])
        return rows, following

    async def events(self, tenant_id: str, invoice_id: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(t.events)
                        .where(
                            t.events.c.tenant_id == tenant_id, t.events.c.invoice_id == invoice_id
                        )
                        .order_by(t.events.c.id)
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def events_after(
        self, tenant_id: str, after: int, limit: int = 100
    ) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(t.events)
                        .where(t.events.c.tenant_id == tenant_id, t.events.c.id > after)
                        .order_by(t.events.c.id)
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def document(self, tenant_id: str, invoice_id: str, kind: str) -> dict[str, Any] | None:
        d = t.documents
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(d.c.kind, d.c.media_type, d.c.filename, t.blobs.c.content)
                        .join(t.invoices, t.invoices.c.id == d.c.invoice_id)
                        .join(t.blobs, t.blobs.c.sha256 == d.c.sha256)
                        .where(
                            d.c.invoice_id == invoice_id,
                            d.c.kind == kind,
                            t.invoices.c.tenant_id == tenant_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def sending_material(self, invoice_ids: Sequence[str]) -> dict[str, SendingMaterial]:
        """What the worker sends, for each of a claim's invoices (one read for the whole claim):
        the invoice's row and its stored documents with their bytes. An invoice the ledger does
        not hold is missing from the answer."""
        if not invoice_ids:
            return {}
        return await self.read(_sending_material, tuple(dict.fromkeys(invoice_ids)))

    async def evidence(self, tenant_id: str, invoice_id: str) -> list[dict[str, Any]]:
        e = t.evidence
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(
                            e.c.id,
                            e.c.delivery_id,
                            e.c.kind,
                            e.c.media_type,
                            e.c.created_at,
                            t.blobs.c.content,
                        )
                        .join(t.blobs, t.blobs.c.sha256 == e.c.sha256)
                        .where(e.c.tenant_id == tenant_id, e.c.invoice_id == invoice_id)
                        .order_by(e.c.id)
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def reconciliation(self, tenant_id: str, day: date | None = None) -> dict[str, Any]:
        """Counts per state for invoices accepted on ``day`` (all time when None) and the check
        accepted = delivered + failed + in flight."""
        i = t.invoices
        conditions = [i.c.tenant_id == tenant_id]
        if day is not None:
            start = datetime.combine(day, time(), tzinfo=UTC)
            conditions += [i.c.created_at >= start, i.c.created_at < start + timedelta(days=1)]
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(i.c.status, func.count()).where(*conditions).group_by(i.c.status)
                )
            ).all()
            overdue = (
                await conn.execute(select(func.count()).where(*conditions, i.c.overdue == 1))
            ).scalar_one()
        counts = {status.value: 0 for status in InvoiceStatus}
        counts.update({status: n for status, n in rows})
        accepted = sum(counts.values())
        delivered, failed = counts["delivered"], counts["failed"]
        in_flight = accepted - delivered - failed
        return {
            "date": day.isoformat() if day else None,
            "accepted": accepted,
            "delivered": delivered,
            "failed": failed,
            "in_flight": in_flight,
            "overdue": overdue,
            "by_status": counts,
            "balanced": accepted == delivered + failed + in_flight
            and in_flight == sum(n for s, n in counts.items() if not InvoiceStatus(s).is_terminal),
        }

    async def list_inbox(self, tenant_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Documents received for this tenant (over Peppol), newest first."""
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(
                            t.inbox,
                            t.mls_out.c.code.label("mls_code"),
                            t.mls_out.c.state.label("mls_state"),
                        )
                        .outerjoin(t.mls_out, t.mls_out.c.inbox_id == t.inbox.c.id)
                        .where(t.inbox.c.tenant_id == tenant_id)
                        .order_by(t.inbox.c.received_at.desc())
                        .limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def status_counts(self) -> dict[str, int]:
        """Invoices by status over all tenants (for /metrics)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.invoices.c.status, func.count()).group_by(t.invoices.c.status)
                )
            ).all()
        return {status: n for status, n in rows}

    # --- webhooks -----------------------------------------------------------------------------------------

    async def add_webhook(
        self,
        tenant_id: str,
        endpoint_id: str,
        url: str,
        secret: str,
        events: list[str],
        when: datetime,
    ) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                insert(t.webhook_endpoints).values(
                    id=endpoint_id,
                    tenant_id=tenant_id,
                    url=url,
                    secret=secret,
                    events=events,
                    active=1,
                    created_at=when,
                )
            )

    async def list_webhooks(self, tenant_id: str) -> list[dict[str, Any]]:
        w = t.webhook_endpoints
        async with self.engine.connect() as conn:
            rows = (
                (await conn.execute(select(w).where(w.c.tenant_id == tenant_id, w.c.active == 1)))
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def delete_webhook(self, tenant_id: str, endpoint_id: str) -> bool:
        w = t.webhook_endpoints
        async with self.transaction() as conn:
            result = await conn.execute(
                update(w).where(w.c.id == endpoint_id, w.c.tenant_id == tenant_id).values(active=0)
            )
        return result.rowcount == 1

    async def claim_webhooks(
        self, when: datetime, limit: int = 50, lease: float = 60
    ) -> list[dict[str, Any]]:
        o, w, e = t.webhook_outbox, t.webhook_endpoints, t.events
        due = (
            select(o.c.id)
            .where(
                o.c.delivered_at.is_(None),
                o.c.next_attempt_at <= when,
                or_(o.c.lease_until.is_(None), o.c.lease_until < when),
            )
            .order_by(o.c.id)
            .limit(limit)
        )
        # Polled every second, and nearly always empty: a read answers that without the write
        # lock, which every acceptance in every process would otherwise queue behind.
        if not await self.read(_any_row, due.limit(1)):
            return []
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        async with self.transaction() as conn:
            ids = [
                r.id
                for r in (
                    await conn.execute(
                        update(o)
                        .where(o.c.id.in_(due.scalar_subquery()))
                        .values(
                            lease_until=when + timedelta(seconds=lease), attempts=o.c.attempts + 1
                        )
                        .returning(o.c.id)
                    )
                ).all()
            ]
            if not ids:
                return []
            rows = (
                (
                    await conn.execute(
                        select(
                            o.c.id,
                            o.c.attempts,
                            w.c.url,
                            w.c.secret,
                            e.c.id.label("event_id"),
                            e.c.type,
                            e.c.detail,
                            e.c.invoice_id,
                            e.c.at,
                            e.c.tenant_id,
                        )
                        .join(w, w.c.id == o.c.endpoint_id)
                        .join(e, e.c.id == o.c.event_id)
                        .where(o.c.id.in_(ids))
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def webhook_done(
        self, outbox_id: int, when: datetime, *, error: str | None, next_at: datetime | None
    ) -> None:
        o = t.webhook_outbox
        values: dict[str, Any] = {"lease_until": None, "last_error": error}
        if error is None:
            values["delivered_at"] = when
        elif next_at is not None:
            values["next_attempt_at"] = next_at
        else:
            values["delivered_at"] = when  # given up: recorded with its last error
        async with self.transaction() as conn:
            await conn.execute(update(o).where(o.c.id == outbox_id).values(**values))


def _any_row(conn: Connection, query: Select) -> bool:
    return conn.execute(query).first() is not None


class SendingMaterial(NamedTuple):
    invoice: dict[str, Any]
    documents: list[dict[str, Any]]


def _sending_material(conn: Connection, invoice_ids: Sequence[str]) -> dict[str, SendingMaterial]:
    params = numbered("id", invoice_ids)
    found = {
        row["id"]: SendingMaterial(row, [])
        for row in _invoices_by_id(len(invoice_ids)).rows(conn, params)
    }
    for row in _documents_by_invoice(len(invoice_ids)).rows(conn, params):
        found[row.pop("invoice_id")].documents.append(row)
    return found


# The worker reads these for every claim: ``Direct`` statements (see direct.py on why), one per
# number of invoices (a claim holds at most the worker's batch).
@functools.cache
def _invoices_by_id(count: int) -> Direct:
    return Direct(select(t.invoices).where(t.invoices.c.id.in_(numbered_binds("id", count))))


@functools.cache
def _documents_by_invoice(count: int) -> Direct:
    d = t.documents
    return Direct(
        select(d.c.invoice_id, d.c.kind, d.c.media_type, d.c.filename, t.blobs.c.content)
        .join(t.blobs, t.blobs.c.sha256 == d.c.sha256)
        .where(d.c.invoice_id.in_(numbered_binds("id", count)))
    )
