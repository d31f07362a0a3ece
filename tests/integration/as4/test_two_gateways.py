"""Two gateways on loopback, each an access point of the test PKI: A sends an invoice to a
participant of B, found through a local SML (DNS) and SMP; B's inbox gets it; the buyer's
acknowledgement becomes an MLS that B sends back to A's SPIS id through the same discovery, and
A's invoice goes from "awaiting confirmation" (AS4 receipt) to delivered — or, on a refusal,
on to its next channel. Without an MLS in the SLA the invoice is flagged overdue."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from formats.jsoncodec import dumps
from formats.peppol import mls
from formats.peppol.identifiers import INVOICE_DOCUMENT_TYPE
from gateway import watchdog
from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from tests.acceptance.conftest import auth, wait_for
from tests.integration.as4.discovery import ZONE, LocalSmp, Service, start_sml, start_smp
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.slow
BUYER, SELLER = "0007:5567321707", "0007:5560360793"


async def _gateway(kit, tmp_path, name: str, seat: str, sml, tenant: tuple[str, str], **peppol):
    folder = tmp_path / name
    folder.mkdir()
    db = f"sqlite+aiosqlite:///{folder / 'g.db'}"
    settings = Settings(
        data_dir=folder,
        database_url=db,
        default_plan=("peppol", "spool"),
        worker=WorkerSettings(poll_seconds=0.05),
        channels={
            "peppol": {
                **kit.seat(seat),
                "sml_zone": ZONE,
                "dns_server": sml.address,
                "smp_truststore": str(kit.pki / "truststore.pem"),
                "max_attempts": 3,
                "backoff_initial": 0.2,
                **peppol,
            },
            "spool": {"folder": str(folder / "spool")},
        },
    )
    ledger = await Ledger.open(db)
    _, key = await ledger.create_tenant(tenant[0], peppol_id=tenant[1])
    client = TestClient(TestServer(create_app(settings, ledger=ledger), host="127.0.0.1"))
    await client.start_server()
    client.key, client.ledger, client.settings, client.spool = (
        key,
        ledger,
        settings,
        folder / "spool",
    )
    return client


@pytest.fixture
async def network(kit, tmp_path):
    sml = await start_sml()
    smp = LocalSmp(
        (kit.pki / "POP000003.key.pem").read_bytes(), (kit.pki / "POP000003.cert.pem").read_bytes()
    )
    runner = await start_smp(smp)
    a = await _gateway(
        kit, tmp_path, "a", "POP000001", sml, ("seller", SELLER), await_mls=True, sla_seconds=0.5
    )
    b = await _gateway(kit, tmp_path, "b", "POP000002", sml, ("buyer", BUYER), mls_ack_seconds=3600)
    for participant, gateway, seat, document_type, process in (
        (BUYER, b, "POP000002", INVOICE_DOCUMENT_TYPE, None),
        ("0242:000001", a, "POP000001", mls.DOCUMENT_TYPE, mls.PROCESS),
    ):
        sml.register(participant, smp.base)
        extra = {"process": process} if process else {}
        smp.add(
            participant,
            Service(
                document_type,
                str(gateway.make_url("/as4")),
                (kit.pki / f"{seat}.cert.pem").read_bytes(),
                **extra,
            ),
        )
    yield a, b
    for gateway in (a, b):
        await gateway.close()
        await gateway.ledger.aclose()
    await runner.cleanup()
    sml.transport.close()


async def _send(a) -> str:
    r = await a.post(
        "/v1/invoices",
        data=dumps(invoice()),
        headers=auth(a.key, **{"Content-Type": "application/json"}),
    )
    assert r.status == 202, await r.text()
    return (await r.json())["id"]


async def _inbox(b) -> list[dict]:
    return (await (await b.get("/v1/inbox", headers=auth(b.key))).json())["items"]


async def _events(a, invoice_id: str) -> list[dict]:
    return (await (await a.get(f"/v1/invoices/{invoice_id}/events", headers=auth(a.key))).json())[
        "items"
    ]


async def test_invoice_reaches_the_other_gateway_and_its_mls_confirms_delivery(network):
    a, b = network
    invoice_id = await _send(a)
    handed = await wait_for(a, invoice_id, "awaiting_confirmation", timeout=30)
    assert handed["status"] == "awaiting_confirmation", handed

    (item,) = await _inbox(b)
    assert (
        item["sender"] == SELLER and item["status"] == "received" and item["mls_state"] == "waiting"
    )
    received = [
        e["type"] for e in (await (await b.get("/v1/events", headers=auth(b.key))).json())["items"]
    ]
    assert "invoice.received" in received

    # no MLS within the SLA: the watchdog flags the invoice overdue
    await asyncio.sleep(0.6)
    assert await watchdog.sweep(a.ledger, a.settings) == 1
    assert "invoice.overdue" in [e["type"] for e in await _events(a, invoice_id)]

    ack = await (await b.post(f"/v1/inbox/{item['id']}/ack", headers=auth(b.key))).json()
    assert ack["mls"] == {"code": "AP", "state": "due"}
    done = await wait_for(a, invoice_id, "delivered", timeout=30)
    assert done["status"] == "delivered", done
    events = await _events(a, invoice_id)
    assert any(
        e["type"] == "invoice.mls_received" and e["detail"]["code"] == "AP" for e in events
    ), events
    evidence = await (
        await a.get(f"/v1/invoices/{invoice_id}/evidence", headers=auth(a.key))
    ).json()
    assert {"as4-answer", "smp-answer", "mls"} <= {e["kind"] for e in evidence["items"]}
    (item,) = await _inbox(b)
    assert item["mls_state"] == "sent"


async def test_a_refusal_by_the_receiving_side_sends_the_invoice_to_the_next_channel(network):
    a, b = network
    invoice_id = await _send(a)
    await wait_for(a, invoice_id, "awaiting_confirmation", timeout=30)
    (item,) = await _inbox(b)
    r = await b.post(
        f"/v1/inbox/{item['id']}/ack",
        json={"accepted": False, "reason": "unknown buyer reference"},
        headers=auth(b.key),
    )
    assert (await r.json())["mls"]["code"] == "RE"
    done = await wait_for(a, invoice_id, "delivered", timeout=30)
    assert done["status"] == "delivered"
    assert len(list(a.spool.glob("*.xml"))) == 1  # the spool channel took over
    events = await _events(a, invoice_id)
    assert any(e["type"] == "invoice.mls_received" and e["detail"]["code"] == "RE" for e in events)
    assert "delivery.fallback" in [e["type"] for e in events]
