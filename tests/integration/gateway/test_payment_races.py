"""Payments applied by two processes at once (two finance users, an import beside an
assignment) leave each payment applied once and every open amount right, on both backends."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from gateway.receivables.matching import IncomingPayment
from tests.ledger_samples import acceptance


async def _open_items(ledger, tenant_id: str, count: int) -> list[str]:
    """``count`` invoices of 10.00 SEK followed to payment; their ids."""
    results = await ledger.accept_many(
        [
            acceptance(tenant_id, f"inv{n}", receivable={"reference": f"ref{n}", "customer": "B"})
            for n in range(count)
        ]
    )
    return [r.invoice_id for r in results]


def _unmatched(bank_id: str, amount: str) -> IncomingPayment:
    return IncomingPayment(bank_id, Decimal(amount), "SEK", reference="no such", payer=None)


async def _payment_ids(ledger, tenant_id: str) -> dict[str, str]:
    return {p["external_id"]: p["id"] for p in await ledger.payments(tenant_id)}


async def _open_amount(ledger, tenant_id: str, invoice_id: str) -> Decimal:
    return Decimal((await ledger.receivable(tenant_id, invoice_id))["open_amount"])


async def test_one_payment_assigned_twice_at_once_is_applied_once(ledger, other_ledger):
    tenant, _ = await ledger.create_tenant("t")
    first, second = await _open_items(ledger, tenant.id, 2)
    await ledger.import_payments(tenant.id, "bgmax", [_unmatched("bank-1", "4.00")], {})
    payment = (await _payment_ids(ledger, tenant.id))["bank-1"]
    assigned = await asyncio.gather(
        ledger.assign_payment(tenant.id, payment, first),
        other_ledger.assign_payment(tenant.id, payment, second),
    )
    assert sorted(assigned) == [False, True]
    amounts = {await _open_amount(ledger, tenant.id, i) for i in (first, second)}
    assert amounts == {Decimal("6.00"), Decimal("10.00")}


async def test_two_payments_assigned_to_one_invoice_at_once_both_count(ledger, other_ledger):
    tenant, _ = await ledger.create_tenant("t")
    (invoice,) = await _open_items(ledger, tenant.id, 1)
    payments = [_unmatched("bank-1", "4.00"), _unmatched("bank-2", "3.00")]
    await ledger.import_payments(tenant.id, "bgmax", payments, {})
    ids = await _payment_ids(ledger, tenant.id)
    assert await asyncio.gather(
        ledger.assign_payment(tenant.id, ids["bank-1"], invoice),
        other_ledger.assign_payment(tenant.id, ids["bank-2"], invoice),
    ) == [True, True]
    assert await _open_amount(ledger, tenant.id, invoice) == Decimal("3.00")


async def test_one_file_imported_twice_at_once_is_imported_once(ledger, other_ledger):
    tenant, _ = await ledger.create_tenant("t")
    payments = [_unmatched(f"bank-{n}", "1.00") for n in range(5)]
    counts = await asyncio.gather(
        ledger.import_payments(tenant.id, "bgmax", payments, {}),
        other_ledger.import_payments(tenant.id, "bgmax", payments, {}),
    )
    assert sorted(c["imported"] for c in counts) == [0, 5]
    assert sorted(c["duplicates"] for c in counts) == [0, 5]
    assert len(await ledger.payments(tenant.id)) == 5
