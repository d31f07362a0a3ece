"""The receivables side of the ledger: open items, imported payments, ageing and reminders due."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..receivables.cadence import next_step
from ..receivables.interest import CustomerType, RateMissing, compensation, late_interest
from ..receivables.matching import IncomingPayment, Matcher, MatchKind, OpenItem
from . import schema as t
from .states import EventType

OPEN_STATES = ("open", "partly_paid", "in_reminder")
AGE_BUCKETS = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


async def _apply_payments_alone(conn: AsyncConnection, tenant_id: str) -> None:
    """Payments are applied to a tenant's open items one transaction at a time: each reads the
    open amounts and the payments' states, then writes what follows from them. On PostgreSQL two
    at once would both read the same (a payment assigned twice, an open amount reduced by only
    one of two payments); the transaction waits here for the tenant's lock, held until it ends.
    SQLite has one writer at a time already."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:tenant_id))"),
            {"space": _PAYMENTS_LOCK_SPACE, "tenant_id": tenant_id},
        )


#: The first key of the tenants' payment locks (the migrations' lock uses a single bigint key).
_PAYMENTS_LOCK_SPACE = 7310245


class ReceivableLedger:
    """Mixed into ``Ledger``."""

    async def import_payments(
        self,
        tenant_id: str,
        source: str,
        payments: Sequence[IncomingPayment],
        booked_on: dict[str, str],
    ) -> dict[str, int]:
        """Match and record payments; a payment imported before (same bank id) changes nothing."""
        counts = {"imported": 0, "duplicates": 0, "matched": 0, "unmatched": 0}
        async with self.transaction() as conn:
            await _apply_payments_alone(conn, tenant_id)
            seen = {
                r.external_id
                for r in (
                    await conn.execute(
                        select(t.payments.c.external_id).where(
                            t.payments.c.tenant_id == tenant_id, t.payments.c.source == source
                        )
                    )
                ).all()
            }
            rows = (
                await conn.execute(
                    select(t.receivables).where(
                        t.receivables.c.tenant_id == tenant_id,
                        t.receivables.c.state.in_(OPEN_STATES),
                    )
                )
            ).all()
            matcher = Matcher.of(
                OpenItem(r.invoice_id, r.reference, r.customer, r.currency, Decimal(r.open_amount))
                for r in rows
            )
            for payment in payments:
                if payment.id in seen:
                    counts["duplicates"] += 1
                    continue
                seen.add(payment.id)
                match = matcher.match(payment)
                counts["imported"] += 1
                counts["matched" if match.kind != MatchKind.UNMATCHED else "unmatched"] += 1
                await conn.execute(
                    insert(t.payments).values(
                        id=uuid.uuid4().hex,
                        tenant_id=tenant_id,
                        source=source,
                        external_id=payment.id,
                        amount=str(payment.amount),
                        currency=payment.currency,
                        reference=payment.reference,
                        payer=payment.payer,
                        booked_on=booked_on.get(payment.id),
                        invoice_id=match.item_id,
                        applied=str(match.applied),
                        state="unmatched" if match.item_id is None else "matched",
                        imported_at=datetime.now(UTC),
                    )
                )
                if match.item_id is not None:
                    await self._settle(conn, match.item_id, match.remaining_open)
        return counts

    async def _settle(self, conn: AsyncConnection, invoice_id: str, remaining: Decimal) -> None:
        """Apply a payment's effect; a paid item's reminders still waiting to go out are withdrawn."""
        state = "paid" if remaining <= 0 else "partly_paid"
        tenant_id = (
            await conn.execute(
                select(t.receivables.c.tenant_id).where(t.receivables.c.invoice_id == invoice_id)
            )
        ).scalar_one()
        await conn.execute(
            update(t.receivables)
            .where(t.receivables.c.invoice_id == invoice_id)
            .values(open_amount=str(remaining), state=state, updated_at=datetime.now(UTC))
        )
        await self.record_event(
            conn,
            tenant_id,
            invoice_id,
            EventType.PAID if state == "paid" else EventType.PARTLY_PAID,
            {"open_amount": str(max(remaining, Decimal(0)))},
        )
        if state == "paid":
            await self.cancel_pending_reminders(conn, tenant_id, invoice_id, "paid")

    async def assign_payment(self, tenant_id: str, payment_id: str, invoice_id: str) -> bool:
        async with self.transaction() as conn:
            await _apply_payments_alone(conn, tenant_id)
            payment = (
                await conn.execute(
                    select(t.payments).where(
                        t.payments.c.id == payment_id,
                        t.payments.c.tenant_id == tenant_id,
                        t.payments.c.state == "unmatched",
                    )
                )
            ).first()
            item = (
                await conn.execute(
                    select(t.receivables).where(
                        t.receivables.c.invoice_id == invoice_id,
                        t.receivables.c.tenant_id == tenant_id,
                    )
                )
            ).first()
            if payment is None or item is None:
                return False
            applied = min(Decimal(payment.amount), Decimal(item.open_amount))
            await conn.execute(
                update(t.payments)
                .where(t.payments.c.id == payment_id)
                .values(invoice_id=invoice_id, applied=str(applied), state="assigned")
            )
            await self._settle(conn, invoice_id, Decimal(item.open_amount) - applied)
        return True

    async def payments(self, tenant_id: str, state: str | None = None) -> list[dict[str, Any]]:
        conditions = [t.payments.c.tenant_id == tenant_id] + (
            [t.payments.c.state == state] if state else []
        )
        async with self.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        select(t.payments)
                        .where(*conditions)
                        .order_by(t.payments.c.imported_at.desc())
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    async def receivable(self, tenant_id: str, invoice_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(t.receivables).where(
                            t.receivables.c.invoice_id == invoice_id,
                            t.receivables.c.tenant_id == tenant_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def ageing(self, tenant_id: str, today: date) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.receivables).where(
                        t.receivables.c.tenant_id == tenant_id,
                        t.receivables.c.state.in_(OPEN_STATES),
                    )
                )
            ).all()
        totals = {name: Decimal(0) for name, _, _ in AGE_BUCKETS}
        customers: dict[str, dict[str, Decimal]] = {}
        for row in rows:
            overdue = (today - date.fromisoformat(row.due_date)).days if row.due_date else 0
            bucket = next(
                name
                for name, low, high in AGE_BUCKETS
                if (low is None or overdue >= low) and (high is None or overdue <= high)
            )
            amount = Decimal(row.open_amount)
            totals[bucket] += amount
            per = customers.setdefault(
                row.customer or "unknown", {name: Decimal(0) for name, _, _ in AGE_BUCKETS}
            )
            per[bucket] += amount
        return {
            "date": today.isoformat(),
            "total": {k: str(v) for k, v in totals.items()},
            "customers": {
                c: {k: str(v) for k, v in b.items()} for c, b in sorted(customers.items())
            },
        }

    async def dso(self, tenant_id: str, today: date, days: int = 90) -> dict[str, Any]:
        """Days sales outstanding: open receivables ÷ what was invoiced in the last ``days`` × days."""
        since = datetime.combine(today - timedelta(days=days), time(), tzinfo=UTC)
        r, i = t.receivables, t.invoices
        async with self.engine.connect() as conn:
            open_rows = (
                await conn.execute(
                    select(r.c.open_amount).where(
                        r.c.tenant_id == tenant_id, r.c.state.in_(OPEN_STATES)
                    )
                )
            ).scalars()
            outstanding = sum((Decimal(v) for v in open_rows), Decimal(0))
            sold_rows = (
                await conn.execute(
                    select(r.c.amount)
                    .join(i, i.c.id == r.c.invoice_id)
                    .where(
                        r.c.tenant_id == tenant_id, r.c.state != "credited", i.c.created_at >= since
                    )
                )
            ).scalars()
            sales = sum((Decimal(v) for v in sold_rows), Decimal(0))
        value = (outstanding / sales * days).quantize(Decimal("0.1")) if sales else None
        return {
            "days": days,
            "outstanding": str(outstanding),
            "sales": str(sales),
            "dso": None if value is None else str(value),
        }

    async def reminders_due(self, tenant_id: str, today: date) -> list[dict[str, Any]]:
        """What the cadence says goes out today, with interest and fees to date (not yet sent)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.receivables).where(
                        t.receivables.c.tenant_id == tenant_id,
                        t.receivables.c.state.in_(OPEN_STATES),
                    )
                )
            ).all()
        due = []
        for row in rows:
            if not row.due_date:
                continue
            customer = CustomerType(row.customer_type)
            step = next_step(
                customer,
                date.fromisoformat(row.due_date),
                row.reminders_sent,
                today,
                Decimal(row.open_amount),
            )
            if step is None:
                continue
            fee = compensation(customer, bool(row.compensation_charged))
            entry = {
                "invoice_id": row.invoice_id,
                "step": step.kind,
                "open_amount": row.open_amount,
                "currency": row.currency,
                "compensation": str(fee),
                "reference": row.reference,
                "interest": None,
                "interest_basis": [],
            }
            try:
                interest = late_interest(
                    Decimal(row.open_amount), date.fromisoformat(row.due_date), today
                )
            except RateMissing as exc:
                entry["interest_error"] = str(exc)  # reported, never guessed
            else:
                entry["interest"] = str(interest.amount)
                entry["interest_basis"] = [
                    {
                        "from": p.start.isoformat(),
                        "to": p.end.isoformat(),
                        "days": p.days,
                        "rate": str(p.rate),
                    }
                    for p in interest.parts
                ]
            due.append(entry)
        return due
