"""Group-committed acceptance on both backends: one batch, the idempotency rules of one by one."""

from __future__ import annotations

import asyncio

import pytest

from gateway.ledger import Acceptance, RenderedDocument
from tests.ledger_samples import acceptance


def _acceptance(tenant_id: str, key: str, body: str = "a") -> Acceptance:
    return acceptance(
        tenant_id,
        key,
        body_hash=body,
        documents=(
            RenderedDocument("original", "application/json", b"{}"),  # shared bytes: one blob
            RenderedDocument("ubl", "application/xml", f"<Invoice>{key}</Invoice>".encode()),
        ),
        receivable={"reference": key, "customer": "B"},
    )


async def test_a_batch_keeps_the_idempotency_rules(ledger):
    tenant, _ = await ledger.create_tenant("t")
    results = await ledger.accept_many(
        [
            _acceptance(tenant.id, "one"),
            _acceptance(tenant.id, "two"),
            _acceptance(tenant.id, "one"),  # a replay inside the same batch
            _acceptance(tenant.id, "two", body="b"),  # the key reused with another body
        ]
    )
    assert [r.created for r in results] == [True, True, False, False]
    assert results[2].invoice_id == results[0].invoice_id and not results[2].conflict
    assert results[3].conflict
    again = await ledger.accept_many([_acceptance(tenant.id, "one")])
    assert again[0].invoice_id == results[0].invoice_id and not again[0].created
    for result in results[:2]:
        events = await ledger.events(tenant.id, result.invoice_id)
        assert [e["type"] for e in events] == ["invoice.accepted"]
        assert await ledger.document(tenant.id, result.invoice_id, "ubl") is not None


async def test_tenants_sharing_keys_in_one_batch_each_keep_their_own(ledger):
    """The keys of a batch are looked up as (tenant, key) pairs: a key another tenant used, in
    the same batch or before, is no replay."""
    first, _ = await ledger.create_tenant("first")
    second, _ = await ledger.create_tenant("second")
    before = await ledger.accept_many([_acceptance(first.id, "shared")])
    results = await ledger.accept_many(
        [
            _acceptance(second.id, "shared", body="b"),
            _acceptance(first.id, "shared"),
            _acceptance(second.id, "own"),
            _acceptance(first.id, "own", body="c"),
        ]
    )
    assert [r.created for r in results] == [True, False, True, True]
    assert not any(r.conflict for r in results)
    assert results[1].invoice_id == before[0].invoice_id
    assert len({r.invoice_id for r in results}) == 4
    assert (await ledger.reconciliation(first.id))["accepted"] == 2
    assert (await ledger.reconciliation(second.id))["accepted"] == 2


async def test_concurrent_accepts_are_committed_together(ledger):
    tenant, _ = await ledger.create_tenant("t")
    keys = [f"k{n}" for n in range(60)] * 2  # every key twice, concurrently
    results = await asyncio.gather(*(ledger.accept(_acceptance(tenant.id, k)) for k in keys))
    ids = {k: {r.invoice_id for r, kk in zip(results, keys, strict=True) if kk == k} for k in keys}
    assert all(len(v) == 1 for v in ids.values())
    assert sum(r.created for r in results) == 60
    counts = await ledger.reconciliation(tenant.id)
    assert counts["accepted"] == 60 and counts["balanced"]


async def test_two_processes_racing_on_the_same_keys_store_each_invoice_once(ledger, other_ledger):
    """Two ledgers on one database, as two server processes have: each key is accepted once and
    replayed by the other, whichever commits first (on PostgreSQL the loser's statement skips
    the key the other committed, and reads that invoice)."""
    tenant, _ = await ledger.create_tenant("t")
    keys = [f"race{n}" for n in range(80)]
    results = await asyncio.gather(
        *(side.accept(_acceptance(tenant.id, k)) for k in keys for side in (ledger, other_ledger))
    )
    assert sum(r.created for r in results) == len(keys)
    assert not any(r.conflict for r in results)
    for first, second in zip(results[::2], results[1::2], strict=True):
        assert first.invoice_id == second.invoice_id
    counts = await ledger.reconciliation(tenant.id)
    assert counts["accepted"] == len(keys) and counts["balanced"]


async def test_a_batch_queues_the_webhooks_each_endpoint_subscribed_to(ledger):
    """Every event for an endpoint with no filter, the filtered ones by type, none for an
    endpoint removed or another tenant's; in the order of the events."""
    from gateway.ledger import now

    tenant, _ = await ledger.create_tenant("t")
    other, _ = await ledger.create_tenant("other")
    for endpoint_id, owner, events in (
        ("all", tenant.id, []),
        ("accepted", tenant.id, ["invoice.accepted"]),
        ("delivered", tenant.id, ["invoice.delivered"]),
        ("removed", tenant.id, []),
        ("elsewhere", other.id, []),
    ):
        await ledger.add_webhook(
            owner, endpoint_id, "http://127.0.0.1:9/", "whsec_eA==", events, now()
        )
    await ledger.delete_webhook(tenant.id, "removed")
    plain = acceptance(tenant.id, "no-open-item")  # no receivable beside ones with
    results = await ledger.accept_many(
        [_acceptance(tenant.id, "one"), plain, _acceptance(tenant.id, "one")]
    )
    claimed = await ledger.claim_webhooks(now())
    queued = sorted((c["event_id"], c["url"], c["invoice_id"]) for c in claimed)
    assert len(queued) == 4, "two new invoices for each of two endpoints"
    assert [invoice for _, _, invoice in queued] == [results[0].invoice_id] * 2 + [
        results[1].invoice_id
    ] * 2
    assert {c["tenant_id"] for c in claimed} == {tenant.id}


async def test_postgresql_compresses_documents_with_lz4_where_it_has_it(ledger):
    if ledger.dialect != "postgresql":
        pytest.skip("PostgreSQL's TOAST compression")
    from sqlalchemy import text

    async with ledger.engine.connect() as conn:
        has_lz4 = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_settings"
                " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
            )
        )
        method = await conn.scalar(
            text(
                "SELECT attcompression FROM pg_attribute"
                " WHERE attrelid = 'blobs'::regclass AND attname = 'content'"
            )
        )
    assert method == ("l" if has_lz4 else "")


async def test_a_batch_written_again_after_its_answer_was_lost_is_still_new(ledger, monkeypatch):
    """PostgreSQL writes a batch in one statement on a held connection, and runs it once more
    when the connection is lost: the first run may have been committed."""
    if ledger.dialect != "postgresql":
        pytest.skip("PostgreSQL's acceptance statement")
    tenant, _ = await ledger.create_tenant("t")
    write_statement = ledger.write_statement

    async def committed_then_lost(work, *args):
        await write_statement(work, *args)
        return await write_statement(work, *args)

    monkeypatch.setattr(ledger, "write_statement", committed_then_lost)
    results = await ledger.accept_many(
        [
            _acceptance(tenant.id, "one"),
            _acceptance(tenant.id, "two"),
            _acceptance(tenant.id, "one"),
        ]
    )
    assert [r.created for r in results] == [True, True, False]
    assert results[2].invoice_id == results[0].invoice_id
    assert (await ledger.reconciliation(tenant.id))["accepted"] == 2
