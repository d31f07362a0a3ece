"""Our sending access point judged by an independent receiver (``as4``): the receiver verifies our
signature, decrypts, checks the SBDH, and answers with a signed receipt that we verify. Its fail
modes show which failures are retried and which pass the invoice on to the next channel."""

from __future__ import annotations

import json

import pytest

from channels import (
    Address,
    DeliveryTimeout,
    Document,
    Envelope,
    RemoteRejected,
    RemoteUnavailable,
    SignalMissing,
)
from channels.peppol import build
from formats.jsoncodec import dumps
from formats.peppol.ubl_write import write
from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from tests.acceptance.conftest import auth, wait_for
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.slow
BUYER, SELLER = "0007:5567321707", "0007:5560360793"


def _channel(kit, url: str, *, timeout: float = 10):
    return build(
        {
            **kit.seat("POP000001"),
            "timeout": timeout,
            "endpoints": {BUYER: {"url": url, "certificate": kit.cert("POP000002")}},
        }
    )


def _envelope(
    message_id: str = "3f1c9a0e-7d2b-4a51-9f0e-5b8d2c1a6e40@fakturaport", number: str = "2026-1001"
) -> Envelope:
    ubl = write(invoice(number=number))
    return Envelope(
        delivery_id="d1",
        invoice_id="i1",
        tenant_id="t1",
        attempt=1,
        message_id=message_id,
        sender=Address(peppol_id=SELLER),
        recipient=Address(peppol_id=BUYER),
        documents=(
            Document(kind="ubl", media_type="application/xml", content=ubl, filename="invoice.xml"),
        ),
    )


async def test_an_invoice_is_delivered_with_a_verified_receipt_and_the_sbdh_passes_the_official_rules(
    kit, peer_receiver, oracle
):
    receiver = peer_receiver()
    receipt = await _channel(kit, receiver.url).send(_envelope())
    assert receipt.report["signal"] == "receipt" and receipt.report["receiver_ap"] == "POP000002"
    assert receipt.evidence[0].kind == "as4-answer" and b"Receipt" in receipt.evidence[0].content

    (record,) = receiver.records()
    assert (
        record["ok"] and record["message_id"] == "3f1c9a0e-7d2b-4a51-9f0e-5b8d2c1a6e40@fakturaport"
    )
    assert record["from_party"] == "POP000001" and record["to_party"] == "POP000002"
    assert record["sender"] == SELLER and record["recipient"] == BUYER
    assert record["doctype"].startswith(
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##"
    )
    stored = (
        receiver.inbox
        / json.loads((next(receiver.inbox.glob("*.json"))).read_text())["payload_file"]
    ).read_bytes()
    assert b"<cbc:ID>2026-1001</cbc:ID>" in stored
    report = oracle.validate_bytes(stored, name="sbdh.xml")
    assert report.valid, report.to_text()


async def test_a_resend_of_the_same_message_counts_as_delivered(kit, peer_receiver):
    receiver = peer_receiver()
    channel = _channel(kit, receiver.url)
    await channel.send(_envelope())
    again = await channel.send(
        _envelope()
    )  # the receiver answers EBMS:0004 "Duplicate eb:MessageId"
    assert again.report["signal"] == "duplicate"
    assert len(list(receiver.inbox.glob("*.xml"))) == 1


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--fail-mode", "http500"), RemoteUnavailable),
        (("--fail-mode", "garbage"), SignalMissing),
        (("--fail-mode", "drop-connection"), RemoteUnavailable),
        (("--fail-mode", "error-signal"), RemoteUnavailable),
        (("--fail-mode", "error-signal", "--error-detail", "PEPPOL:NOT_SERVICED"), RemoteRejected),
        (("--accept-participant", "0007:1111111111"), RemoteRejected),
    ],
    ids=[
        "http500",
        "garbage",
        "drop-connection",
        "error-signal",
        "not-serviced",
        "unknown-participant",
    ],
)
async def test_failures_are_transient_or_permanent_as_a_resend_could_cure_them(
    kit, peer_receiver, flags, expected
):
    receiver = peer_receiver(*flags)
    with pytest.raises(expected) as raised:
        await _channel(kit, receiver.url).send(_envelope())
    assert type(raised.value) is expected, raised.value


async def test_a_lost_receipt_then_a_retry_is_delivered_once(kit, peer_receiver):
    receiver = peer_receiver("--fail-mode", "slow", "--delay", "3", "--fail-first", "1")
    channel = _channel(kit, receiver.url, timeout=1)
    with pytest.raises(DeliveryTimeout):
        await channel.send(_envelope())
    receipt = await channel.send(_envelope())
    assert receipt.report["signal"] in ("duplicate", "receipt")
    assert len(list(receiver.inbox.glob("*.xml"))) == 1


async def _gateway(kit, tmp_path, url: str):
    db = f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
    settings = Settings(
        data_dir=tmp_path,
        database_url=db,
        channels={
            "peppol": {
                **kit.seat("POP000001"),
                "timeout": 10,
                "max_attempts": 2,
                "backoff_initial": 0.1,
                "endpoints": {BUYER: {"url": url, "certificate": kit.cert("POP000002")}},
            },
            "spool": {"folder": str(tmp_path / "spool")},
        },
        default_plan=("peppol", "spool"),
        worker=WorkerSettings(poll_seconds=0.05),
    )
    from aiohttp.test_utils import TestClient, TestServer

    ledger = await Ledger.open(db)
    _, key = await ledger.create_tenant("seller", peppol_id=SELLER)
    client = TestClient(TestServer(create_app(settings, ledger=ledger)))
    await client.start_server()
    client.key, client.ledger = key, ledger
    return client


async def test_end_to_end_an_erp_posts_json_and_the_gateway_delivers_over_peppol(
    kit, peer_receiver, tmp_path
):
    receiver = peer_receiver()
    gateway = await _gateway(kit, tmp_path, receiver.url)
    try:
        r = await gateway.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers=auth(gateway.key, **{"Content-Type": "application/json"}),
        )
        assert r.status == 202, await r.text()
        accepted = await r.json()
        done = await wait_for(gateway, accepted["id"], "delivered", timeout=30)
        assert done["status"] == "delivered", done
        evidence = await (
            await gateway.get(f"/v1/invoices/{accepted['id']}/evidence", headers=auth(gateway.key))
        ).json()
        assert "as4-answer" in [e["kind"] for e in evidence["items"]]
        (record,) = receiver.records()
        assert record["ok"] and record["sender"] == SELLER and record["recipient"] == BUYER
    finally:
        await gateway.close()
        await gateway.ledger.aclose()


async def test_end_to_end_a_recipient_not_serviced_over_peppol_falls_back_to_the_next_channel(
    kit, peer_receiver, tmp_path
):
    receiver = peer_receiver("--fail-mode", "error-signal", "--error-detail", "PEPPOL:NOT_SERVICED")
    gateway = await _gateway(kit, tmp_path, receiver.url)
    try:
        r = await gateway.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers=auth(gateway.key, **{"Content-Type": "application/json"}),
        )
        accepted = await r.json()
        done = await wait_for(gateway, accepted["id"], "delivered", timeout=30)
        assert done["status"] == "delivered", done
        assert len(list((tmp_path / "spool").glob("*.xml"))) == 1
        events = await (
            await gateway.get(f"/v1/invoices/{accepted['id']}/events", headers=auth(gateway.key))
        ).json()
        assert "NOT_SERVICED" in json.dumps(events)
    finally:
        await gateway.close()
        await gateway.ledger.aclose()
