"""The recipient directory's version: raised by every change, checked when an invoice routed
from a cached lookup is stored, so a change made by another process reroutes it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import select, text, update

from formats.jsoncodec import dumps
from formats.model import complete
from gateway import routing
from gateway.intake import Problem
from gateway.ledger import schema as t
from gateway.submit import submit
from tests.ledger_samples import acceptance
from tests.svefaktura_samples import invoice


async def _version(ledger, tenant_id: str) -> int:
    async with ledger.engine.connect() as conn:
        query = select(t.tenants.c.directory_version).where(t.tenants.c.id == tenant_id)
        return (await conn.execute(query)).scalar_one()


_INVOICE = invoice()
_BUYER_KEY = routing.lookup_keys(complete(_INVOICE))[0]


def _submitter(ledger, tenant, configured: dict[str, str], default_plan: tuple[str, ...]):
    """Submits the sample invoice under a number (its idempotency key too), as the API does."""

    async def send(number: str):
        body = dumps(replace(_INVOICE, number=number), indent=None)
        return await submit(
            ledger,
            tenant,
            body,
            "application/json",
            idempotency_key=number,
            configured=configured,
            default_plan=default_plan,
        )

    return send


async def test_every_change_to_a_directory_raises_its_version(ledger):
    tenant, _ = await ledger.create_tenant("t")
    other_tenant, _ = await ledger.create_tenant("other")
    assert await _version(ledger, tenant.id) == 0
    await ledger.put_recipient(tenant.id, "0007:1", {"email": "a@buyer.example"})
    await ledger.put_recipient(tenant.id, "0007:1", {"email": "b@buyer.example"})
    assert await _version(ledger, tenant.id) == 2
    assert await ledger.delete_recipient(tenant.id, "0007:1")
    assert not await ledger.delete_recipient(tenant.id, "0007:1")  # nothing changed
    assert await _version(ledger, tenant.id) == 3
    assert await _version(ledger, other_tenant.id) == 0


async def test_a_lookup_is_read_once_while_the_directory_is_unchanged(ledger):
    tenant, _ = await ledger.create_tenant("t")
    await ledger.put_recipient(tenant.id, "0007:1", {"email": "a@buyer.example"})
    first = await ledger.directory_lookup(tenant.id, ["0007:1", "se1"])
    assert first.entry["email"] == "a@buyer.example" and first.version == 1
    assert await ledger.directory_lookup(tenant.id, ["0007:1", "se1"]) is first
    await ledger.put_recipient(tenant.id, "0007:1", {"email": "b@buyer.example"})
    again = await ledger.directory_lookup(tenant.id, ["0007:1", "se1"])
    assert again.entry["email"] == "b@buyer.example" and again.version == 2
    nobody = await ledger.directory_lookup(tenant.id, ["0007:2"])
    assert nobody.entry is None and nobody.version == 2


async def test_an_invoice_routed_before_another_process_changed_the_directory_is_refused(
    ledger, other_ledger
):
    tenant, _ = await ledger.create_tenant("t")
    stale = await ledger.directory_lookup(tenant.id, ["0007:1"])
    await other_ledger.put_recipient(tenant.id, "0007:1", {"email": "a@buyer.example"})
    # This process still has the lookup from before the change.
    assert await ledger.directory_lookup(tenant.id, ["0007:1"]) is stale
    refused, replayed_batch = await ledger.accept_many(
        [
            acceptance(tenant.id, "k1", directory_version=stale.version),
            acceptance(tenant.id, "k1", directory_version=stale.version),
        ]
    )
    assert refused.directory_changed and replayed_batch.directory_changed
    assert (await ledger.reconciliation(tenant.id))["accepted"] == 0
    fresh = await ledger.directory_lookup(tenant.id, ["0007:1"])
    assert fresh.entry["email"] == "a@buyer.example" and fresh.version == 1
    stored = await ledger.accept(acceptance(tenant.id, "k1", directory_version=fresh.version))
    assert stored.created and not stored.directory_changed
    # A replay is a replay whatever the directory does: it stores nothing new.
    await other_ledger.put_recipient(tenant.id, "0007:1", {"email": "b@buyer.example"})
    replay = await ledger.accept(acceptance(tenant.id, "k1", directory_version=fresh.version))
    assert replay.invoice_id == stored.invoice_id and not replay.created


async def test_submit_routes_again_when_another_process_changed_the_directory(ledger, other_ledger):
    """One process has a cached lookup (no entry for the buyer: the default plan); another
    gives the buyer an entry with its own plan; the next invoice follows the entry."""
    tenant, _ = await ledger.create_tenant("t")
    send = _submitter(ledger, tenant, {"spool": "spool", "archive": "spool"}, ("spool",))
    assert (await send("INV-1")).plan == ("spool",)
    await other_ledger.put_recipient(tenant.id, _BUYER_KEY, {"plan": ["archive"]})
    assert (await send("INV-2")).plan == ("archive",)
    await other_ledger.delete_recipient(tenant.id, _BUYER_KEY)
    assert (await send("INV-3")).plan == ("spool",)
    stored, _ = await ledger.list_invoices(tenant.id, sort="number")
    assert [(i["number"], i["plan"]) for i in stored] == [
        ("INV-1", ["spool"]),
        ("INV-2", ["archive"]),
        ("INV-3", ["spool"]),
    ]


async def test_a_database_from_before_directory_versions_gets_them(ledger):
    tenant, _ = await ledger.create_tenant("t")
    async with ledger.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE tenants DROP COLUMN directory_version"))
        await conn.execute(update(t.schema_version).values(version=6))
    assert await ledger.migrate() == 7
    assert await _version(ledger, tenant.id) == 0
    await ledger.put_recipient(tenant.id, "0007:1", {"email": "a@buyer.example"})
    assert await _version(ledger, tenant.id) == 1


async def test_requests_putting_the_same_new_entry_at_once_all_succeed(ledger, other_ledger):
    """Another process's ledger too: the entry is written in one statement, an upsert."""
    tenant, _ = await ledger.create_tenant("t")
    puts = [
        side.put_recipient(tenant.id, "0007:1", {"email": f"{n}@buyer.example", "plan": [n]})
        for n in range(6)
        for side in (ledger, other_ledger)
    ]
    written = await asyncio.gather(*puts)
    assert len({entry["id"] for entry in written}) == 1
    (entry,) = await ledger.list_recipients(tenant.id)
    assert entry["email"].endswith("@buyer.example") and len(entry["plan"]) == 1
    assert await _version(ledger, tenant.id) == 12


async def test_a_refusal_made_from_a_cached_lookup_is_checked_against_the_directory(
    ledger, other_ledger
):
    """No channel for the buyer in this process's cached lookup; another process has given the
    buyer an entry that routes: the invoice is accepted, not refused."""
    tenant, _ = await ledger.create_tenant("t")
    send = _submitter(ledger, tenant, {"archive": "spool"}, ("nowhere",))
    with pytest.raises(Problem) as refused:
        await send("INV-1")
    assert refused.value.status == 422
    await other_ledger.put_recipient(tenant.id, _BUYER_KEY, {"plan": ["archive"]})
    assert (await send("INV-2")).plan == ("archive",)
    await other_ledger.delete_recipient(tenant.id, _BUYER_KEY)
    with pytest.raises(Problem):
        await send("INV-3")
