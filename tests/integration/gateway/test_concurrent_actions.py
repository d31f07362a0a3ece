"""Finance actions and late signals that arrive twice at once (a double click, a bounce beside
a report), from two processes: each takes effect once, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from gateway.ledger import schema as t
from gateway.ledger.ids import now
from tests.ledger_samples import acceptance


async def _failed_invoice(ledger, tenant_id: str) -> tuple[str, str]:
    """An invoice whose only channel gave up: (invoice id, that delivery's id)."""
    (accepted,) = await ledger.accept_many([acceptance(tenant_id, "k1")])
    (claim,) = await ledger.claim_due("w", now() + timedelta(seconds=1), limit=1, lease=60)
    assert await ledger.record_failure(claim, "w", now(), error="gave up")
    return accepted.invoice_id, claim.delivery_id


async def _deliveries(ledger, invoice_id: str, status: str) -> int:
    d = t.deliveries
    query = select(func.count()).where(d.c.invoice_id == invoice_id, d.c.status == status)
    async with ledger.engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def test_a_retry_requested_twice_at_once_delivers_once(ledger, other_ledger):
    tenant, _ = await ledger.create_tenant("t")
    invoice_id, _ = await _failed_invoice(ledger, tenant.id)
    retried = await asyncio.gather(
        *(
            side.retry(tenant.id, invoice_id, now())
            for side in (ledger, other_ledger, ledger, other_ledger)
        )
    )
    assert all(retried)
    assert await _deliveries(ledger, invoice_id, "pending") == 1


async def test_two_failure_signals_for_one_delivery_at_once_act_once(ledger, other_ledger):
    tenant, _ = await ledger.create_tenant("t")
    invoice_id, _ = await _failed_invoice(ledger, tenant.id)
    assert await ledger.retry(tenant.id, invoice_id, now(), channel="print")
    d = t.deliveries
    async with ledger.engine.connect() as conn:
        query = select(d.c.id).where(d.c.invoice_id == invoice_id, d.c.status == "pending")
        redirected = (await conn.execute(query)).scalar_one()
    signalled = await asyncio.gather(
        ledger.signal_failure(redirected, "bounced", now()),
        other_ledger.signal_failure(redirected, "rejected", now()),
    )
    assert sorted(signalled) == [False, True]
    events = [e["type"] for e in await ledger.events(tenant.id, invoice_id)]
    assert events.count("invoice.failed") == 2  # the first channel's, then this one's
