"""The worker against a real ledger (SQLite and PostgreSQL) with the scriptable memory channel."""

from __future__ import annotations

from datetime import timedelta

from channels import RateLimited
from channels.memory import MemoryChannel
from gateway.ledger import now
from gateway.settings import Settings, WorkerSettings
from gateway.worker import Worker
from tests.ledger_samples import acceptance


def _settings(**channels) -> Settings:
    base = {"max_attempts": 3, "backoff_initial": 0.01, "backoff_max": 0.02, "sla_seconds": 3600}
    return Settings(
        channels={name: {**base, **conf} for name, conf in channels.items()},
        worker=WorkerSettings(concurrency=4, lease_seconds=30, poll_seconds=0.01),
    )


async def _accept(ledger, tenant_id: str, plan=("first", "second"), key: str = "k") -> str:
    result = await ledger.accept(
        acceptance(
            tenant_id,
            key,
            body_hash="h" + key,
            number="1",
            plan=plan,
            recipient={"peppol_id": "0007:1"},
        )
    )
    return result.invoice_id


async def _run_until_quiet(worker: Worker, rounds: int = 200) -> None:
    import asyncio

    for _ in range(rounds):
        await worker.run_once()
        await worker.drain()
        await asyncio.sleep(0.005)


async def test_transient_failures_are_retried_then_delivered(ledger):
    tenant, _ = await ledger.create_tenant("t")
    first = MemoryChannel("first").then("transient", "transient", "deliver")
    worker = Worker(
        ledger, {"first": first, "second": MemoryChannel("second")}, _settings(first={}, second={})
    )
    invoice_id = await _accept(ledger, tenant.id)
    await _run_until_quiet(worker)
    row = await ledger.get_invoice(tenant.id, invoice_id)
    assert row["status"] == "delivered"
    assert [d["attempts"] for d in row["deliveries"]] == [3]
    assert len({e.message_id for e in first.sent}) == 1, "the message id is stable across attempts"
    types = [e["type"] for e in await ledger.events(tenant.id, invoice_id)]
    assert types == [
        "invoice.accepted",
        "delivery.attempt_failed",
        "delivery.attempt_failed",
        "invoice.delivered",
    ]


async def test_permanent_failure_falls_back_to_the_next_channel(ledger):
    tenant, _ = await ledger.create_tenant("t")
    second = MemoryChannel("second")
    worker = Worker(
        ledger,
        {"first": MemoryChannel("first").then("permanent"), "second": second},
        _settings(first={}, second={}),
    )
    invoice_id = await _accept(ledger, tenant.id)
    await _run_until_quiet(worker)
    row = await ledger.get_invoice(tenant.id, invoice_id)
    assert row["status"] == "delivered" and row["current_channel"] == "second"
    assert [(d["channel"], d["status"]) for d in row["deliveries"]] == [
        ("first", "failed"),
        ("second", "delivered"),
    ]
    assert second.sent[0].documents[0].content == b"<Invoice/>", (
        "the same stored bytes on every channel"
    )


async def test_exhausted_plan_fails_the_invoice_and_reports_it(ledger):
    tenant, _ = await ledger.create_tenant("t")
    channels = {
        "first": MemoryChannel("first").then(*["transient"] * 5),
        "second": MemoryChannel("second").then("permanent"),
    }
    worker = Worker(ledger, channels, _settings(first={}, second={}))
    invoice_id = await _accept(ledger, tenant.id)
    await _run_until_quiet(worker)
    row = await ledger.get_invoice(tenant.id, invoice_id)
    assert row["status"] == "failed"
    assert row["deliveries"][0]["attempts"] == 3, "max_attempts bounds the retries"
    assert "gave up after 3 attempts" in row["deliveries"][0]["last_error"]
    report = await ledger.reconciliation(tenant.id)
    assert report["failed"] == 1 and report["balanced"]


async def test_retry_after_is_honoured(ledger):
    tenant, _ = await ledger.create_tenant("t")
    channel = MemoryChannel("first").then(RateLimited("slow down", retry_after=600))
    worker = Worker(ledger, {"first": channel}, _settings(first={}))
    invoice_id = await _accept(ledger, tenant.id, plan=("first",))
    await _run_until_quiet(worker, rounds=5)
    delivery = (await ledger.get_invoice(tenant.id, invoice_id))["deliveries"][0]
    assert delivery["next_attempt_at"] >= now() + timedelta(seconds=590)


async def test_expired_lease_returns_the_delivery_and_a_stale_worker_cannot_overwrite(ledger):
    tenant, _ = await ledger.create_tenant("t")
    invoice_id = await _accept(ledger, tenant.id, plan=("first",))
    stale = await ledger.claim_due("crashed-worker", now(), limit=10, lease=0.5)
    assert await ledger.claim_due("other", now(), limit=10, lease=30) == [], (
        "leased: nobody else gets it"
    )
    assert len(stale) == 1
    later = now() + timedelta(seconds=1)
    taken = await ledger.claim_due("healthy-worker", later, limit=10, lease=30)
    assert [c.delivery_id for c in taken] == [stale[0].delivery_id]
    assert await ledger.record_delivered(taken[0], "healthy-worker", later, remote_id="ok")
    assert not await ledger.record_failure(stale[0], "crashed-worker", later, error="late"), (
        "the stale lease is refused"
    )
    assert (await ledger.get_invoice(tenant.id, invoice_id))["status"] == "delivered"


async def test_a_batch_of_outcomes_keeps_each_lease_guard(ledger):
    """Outcomes written together (on PostgreSQL their leases are locked up front, not counted
    one by one): a stale worker's outcome, a second outcome for the same delivery and one whose
    lease is held are each decided as when written alone."""
    from gateway.ledger.outcomes import Outcome, delivered, failure

    tenant, _ = await ledger.create_tenant("t")
    stale_id = await _accept(ledger, tenant.id, plan=("first",), key="stale")
    [stale] = await ledger.claim_due("crashed-worker", now(), limit=10, lease=0.5)
    held_id = await _accept(ledger, tenant.id, plan=("first",), key="held")
    later = now() + timedelta(seconds=1)
    claims = {c.invoice_id: c for c in await ledger.claim_due("w", later, limit=10, lease=30)}
    assert set(claims) == {stale_id, held_id}
    ok = (claims[held_id], "w", later, "receipt", (), False, {})
    results = await ledger.write_outcomes(
        [
            Outcome(failure, (stale, "crashed-worker", later, "late", ())),
            Outcome(delivered, ok),
            Outcome(failure, (claims[held_id], "w", later, "twice", ())),
        ]
    )
    assert results == [False, True, False]
    assert (await ledger.get_invoice(tenant.id, held_id))["status"] == "delivered"
    assert (await ledger.get_invoice(tenant.id, stale_id))["status"] != "failed"
    assert await ledger.record_delivered(claims[stale_id], "w", later, remote_id="r")
    report = await ledger.reconciliation(tenant.id)
    assert report["delivered"] == 2 and report["balanced"]


async def test_claims_do_not_overlap_between_workers(ledger):
    import asyncio

    tenant, _ = await ledger.create_tenant("t")
    for n in range(30):
        await _accept(ledger, tenant.id, plan=("first",), key=f"k{n}")
    batches = await asyncio.gather(
        *(ledger.claim_due(f"w{n}", now(), limit=10, lease=30) for n in range(4))
    )
    ids = [c.delivery_id for batch in batches for c in batch]
    assert len(ids) == len(set(ids)) == 30


async def test_late_bounce_falls_back_and_confirmation_delivers(ledger):
    tenant, _ = await ledger.create_tenant("t")
    channels = {
        "first": MemoryChannel("first").then("pending"),
        "second": MemoryChannel("second").then("pending"),
    }
    worker = Worker(ledger, channels, _settings(first={}, second={}))
    invoice_id = await _accept(ledger, tenant.id)
    await _run_until_quiet(worker, rounds=5)
    row = await ledger.get_invoice(tenant.id, invoice_id)
    assert row["status"] == "awaiting_confirmation"
    assert await ledger.signal_failure(row["deliveries"][0]["id"], "550 mailbox unknown", now())
    await _run_until_quiet(worker, rounds=5)
    row = await ledger.get_invoice(tenant.id, invoice_id)
    second = row["deliveries"][1]
    assert second["channel"] == "second" and second["status"] == "awaiting_confirmation"
    assert await ledger.confirm_delivered(second["id"], now())
    assert (await ledger.get_invoice(tenant.id, invoice_id))["status"] == "delivered"


async def test_watchdog_flags_overdue_once(ledger):
    from gateway import watchdog

    tenant, _ = await ledger.create_tenant("t")
    invoice_id = await _accept(ledger, tenant.id, plan=("first",))
    settings = _settings(first={"sla_seconds": 0})
    assert await watchdog.sweep(ledger, settings) == 1
    assert await watchdog.sweep(ledger, settings) == 0
    types = [e["type"] for e in await ledger.events(tenant.id, invoice_id)]
    assert types.count("invoice.overdue") == 1


async def test_a_busy_worker_claims_again_as_soon_as_a_slot_frees_up(ledger):
    import asyncio

    tenant, _ = await ledger.create_tenant("t")
    channel = MemoryChannel("first")
    settings = Settings(
        channels={"first": {"max_attempts": 3, "sla_seconds": 3600}},
        # A long poll interval: a busy worker must not wait for it between its batches.
        worker=WorkerSettings(concurrency=2, batch=2, lease_seconds=30, poll_seconds=30),
    )
    worker = Worker(ledger, {"first": channel}, settings)
    for n in range(12):
        await _accept(ledger, tenant.id, plan=("first",), key=f"k{n}")
    running = asyncio.create_task(worker.run())
    try:
        for _ in range(200):
            if len(channel.sent) == 12:
                break
            await asyncio.sleep(0.02)
    finally:
        await worker.stop()
        await running
    assert len(channel.sent) == 12


async def test_outcomes_recorded_together_share_a_transaction_and_fail_only_their_own(ledger):
    import asyncio

    from gateway.ledger import EvidenceItem

    tenant, _ = await ledger.create_tenant("t")
    invoices = [await _accept(ledger, tenant.id, plan=("first",), key=f"k{n}") for n in range(5)]
    claims = await ledger.claim_due("w", now(), limit=10, lease=30)
    transactions = 0
    write = ledger.write

    async def counted(work, *args, **options):
        nonlocal transactions
        transactions += 1
        return await write(work, *args, **options)

    ledger.write = counted
    broken = EvidenceItem("receipt", "application/json", None)  # cannot be stored: no bytes
    results = await asyncio.gather(
        *(
            ledger.record_delivered(
                claim,
                "someone-else" if n == 1 else "w",  # a stale lease: refused, not an error
                now(),
                remote_id=f"r{n}",
                evidence=[broken] if n == 2 else [],
            )
            for n, claim in enumerate(claims)
        ),
        return_exceptions=True,
    )
    assert results[0] is True and results[1] is False and results[3:] == [True, True]
    assert isinstance(results[2], TypeError), "the broken outcome fails alone"
    # One shared transaction (rolled back by the broken outcome), then one per outcome.
    assert transactions == 1 + 5
    statuses = {i: (await ledger.get_invoice(tenant.id, i))["status"] for i in invoices}
    delivered = {c.invoice_id for n, c in enumerate(claims) if n in (0, 3, 4)}
    assert {i for i, s in statuses.items() if s == "delivered"} == delivered


async def test_a_claims_sending_material_is_read_at_once(ledger):
    tenant, _ = await ledger.create_tenant("t")
    first = await _accept(ledger, tenant.id, plan=("first",), key="a")
    second = await _accept(ledger, tenant.id, plan=("first",), key="b")
    material = await ledger.sending_material([first, second, first, "no-such-invoice"])
    assert set(material) == {first, second}, "an unknown invoice is left out"
    invoice, documents = material[second]
    assert invoice["id"] == second and invoice["idempotency_key"] == "b"
    assert documents == [
        {
            "kind": "ubl",
            "media_type": "application/xml",
            "filename": None,
            "content": b"<Invoice/>",
        }
    ]
    assert await ledger.sending_material([]) == {}


async def test_polling_an_empty_webhook_outbox_takes_no_write_lock(ledger):
    import contextlib

    tenant, _ = await ledger.create_tenant("t")
    transactions = 0
    transaction = ledger.transaction

    @contextlib.asynccontextmanager
    async def counted(**options):
        nonlocal transactions
        transactions += 1
        async with transaction(**options) as conn:
            yield conn

    ledger.transaction = counted
    assert await ledger.claim_webhooks(now()) == []
    assert transactions == 0, "nothing due: answered by a read"
    await ledger.add_webhook(
        tenant.id, "ep", "http://127.0.0.1:9/hook", "whsec_c2VjcmV0", ["invoice.accepted"], now()
    )
    await _accept(ledger, tenant.id, plan=("first",))
    claimed = await ledger.claim_webhooks(now())
    assert [c["type"] for c in claimed] == ["invoice.accepted"]


async def test_the_watchdog_flags_each_channel_by_its_own_sla(ledger):
    from gateway import watchdog

    tenant, _ = await ledger.create_tenant("t")
    slow = await _accept(ledger, tenant.id, plan=("first",), key="slow")
    quick = await _accept(ledger, tenant.id, plan=("second",), key="quick")
    settings = _settings(first={"sla_seconds": 3600}, second={"sla_seconds": 0})
    assert [o["invoice_id"] for o in await ledger.overdue(now(), {"first": 3600}, 3600)] == []
    assert await watchdog.sweep(ledger, settings) == 1
    assert (await ledger.get_invoice(tenant.id, quick))["overdue"]
    assert not (await ledger.get_invoice(tenant.id, slow))["overdue"]
