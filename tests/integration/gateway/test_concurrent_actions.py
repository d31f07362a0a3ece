"""Finance actions and late signals that arrive twice at once (a double click, a bounce beside
a report), from two processes: each takes effect once, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.ledger import DeliveryInFlight
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


async def test_a_redirect_waits_for_the_attempt_under_way(ledger):
    """While a worker holds the lease its attempt may reach the recipient: a redirect then
    could deliver the invoice twice, so it is refused until the attempt has ended."""
    tenant, _ = await ledger.create_tenant("t")
    (accepted,) = await ledger.accept_many([acceptance(tenant.id, "k1")])
    await ledger.claim_due("w", now() + timedelta(seconds=1), limit=1, lease=60)
    with pytest.raises(DeliveryInFlight):
        await ledger.retry(tenant.id, accepted.invoice_id, now(), channel="print")
    assert await _deliveries(ledger, accepted.invoice_id, "pending") == 1
    # A retry on the same channel changes nothing the worker is doing: it is let through.
    assert await ledger.retry(tenant.id, accepted.invoice_id, now())
    # Once the lease has run out (the worker died), the redirect goes ahead.
    later = now() + timedelta(seconds=61)
    assert await ledger.retry(tenant.id, accepted.invoice_id, later, channel="print")
    assert await _deliveries(ledger, accepted.invoice_id, "failed") == 1
    assert await _deliveries(ledger, accepted.invoice_id, "pending") == 1
