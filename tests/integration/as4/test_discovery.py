"""SML/SMP discovery over a local DNS server and a local SMP: the endpoint for a document type,
the difference between "not registered" (permanent) and "lookup unavailable" (transient), signed
metadata, activation dates, the cache, and a delivery found only through discovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels import LookupUnavailable, RecipientNotRegistered
from channels.peppol import build
from channels.peppol.smp import SmpClient
from formats.peppol.identifiers import CREDIT_NOTE_DOCUMENT_TYPE, INVOICE_DOCUMENT_TYPE
from tests.integration.as4.discovery import ZONE, LocalSmp, Service, start_sml, start_smp
from tests.integration.as4.test_sending_ap import BUYER, _envelope

pytestmark = pytest.mark.slow


@pytest.fixture
async def network(kit):
    """A local SML and an SMP signed with a certificate of the test PKI (seat POP000003)."""
    sml = await start_sml()
    smp = LocalSmp(
        (kit.pki / "POP000003.key.pem").read_bytes(), (kit.pki / "POP000003.cert.pem").read_bytes()
    )
    runner = await start_smp(smp)
    clients: list[SmpClient] = []

    def client(**overrides) -> SmpClient:
        made = SmpClient(
            zone=ZONE,
            nameserver=sml.address,
            smp_truststore=str(kit.pki / "truststore.pem"),
            timeout=overrides.pop("timeout", 5),
            **overrides,
        )
        clients.append(made)
        return made

    yield sml, smp, client
    for made in clients:
        await made.aclose()
    await runner.cleanup()
    sml.transport.close()


def _register(kit, sml, smp, url="http://127.0.0.1:1/as4", **service) -> None:
    sml.register(BUYER, smp.base)
    smp.add(
        BUYER,
        Service(
            INVOICE_DOCUMENT_TYPE, url, (kit.pki / "POP000002.cert.pem").read_bytes(), **service
        ),
    )


async def test_the_endpoint_for_invoices_is_found_through_sml_and_signed_smp_metadata(kit, network):
    sml, smp, client = network
    _register(kit, sml, smp, url="https://ap.example.test/as4")
    lookup = client()
    endpoint, answer = await lookup.endpoint(BUYER, INVOICE_DOCUMENT_TYPE)
    assert endpoint.url == "https://ap.example.test/as4" and endpoint.seat == "POP000002"
    assert b"SignedServiceMetadata" in answer and b"Signature" in answer
    assert await lookup.document_types(BUYER) == [INVOICE_DOCUMENT_TYPE]
    # cached: a second lookup asks neither DNS nor the SMP
    queries, requests = sml.queries, smp.requests
    await lookup.endpoint(BUYER.upper(), INVOICE_DOCUMENT_TYPE)
    assert (sml.queries, smp.requests) == (queries, requests)


async def test_not_registered_is_permanent(kit, network):
    sml, smp, client = network
    _register(kit, sml, smp)
    with pytest.raises(RecipientNotRegistered, match="not registered in the Peppol SML"):
        await client().endpoint("0007:1111111111", INVOICE_DOCUMENT_TYPE)
    with pytest.raises(RecipientNotRegistered, match="does not receive this document type"):
        await client().endpoint(BUYER, CREDIT_NOTE_DOCUMENT_TYPE)
    with pytest.raises(RecipientNotRegistered, match="not a Peppol participant id"):
        await client().endpoint("not-an-id", INVOICE_DOCUMENT_TYPE)


async def test_an_endpoint_outside_its_activation_dates_is_not_used(kit, network):
    sml, smp, client = network
    now = datetime.now(UTC)
    _register(
        kit, sml, smp, activation=now - timedelta(days=30), expiration=now - timedelta(days=1)
    )
    with pytest.raises(RecipientNotRegistered, match="not active now"):
        await client().endpoint(BUYER, INVOICE_DOCUMENT_TYPE)


async def test_dns_or_smp_outages_and_bad_signatures_are_transient(kit, network, foreign_pki):
    sml, smp, client = network
    _register(kit, sml, smp)
    smp.tamper = True
    with pytest.raises(LookupUnavailable, match="signature"):
        await client().endpoint(BUYER, INVOICE_DOCUMENT_TYPE)
    smp.tamper = False
    smp.key_pem, smp.cert_pem = (
        (foreign_pki / "POP000001.key.pem").read_bytes(),
        (foreign_pki / "POP000001.cert.pem").read_bytes(),
    )
    with pytest.raises(LookupUnavailable, match="not trusted"):
        await client().endpoint(BUYER, INVOICE_DOCUMENT_TYPE)
    sml.register(BUYER, "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(LookupUnavailable, match="could not be reached"):
        await client().endpoint(BUYER, INVOICE_DOCUMENT_TYPE)
    sml.silent = True
    with pytest.raises(LookupUnavailable, match="SML lookup"):
        await client(timeout=0.5).endpoint(BUYER, INVOICE_DOCUMENT_TYPE)


async def test_an_invoice_is_delivered_to_the_access_point_the_smp_names(
    kit, network, peer_receiver
):
    sml, smp, _ = network
    receiver = peer_receiver()
    _register(kit, sml, smp, url=receiver.url)
    channel = build(
        {
            **kit.seat("POP000001"),
            "sml_zone": ZONE,
            "dns_server": sml.address,
            "smp_truststore": str(kit.pki / "truststore.pem"),
        }
    )
    try:
        receipt = await channel.send(_envelope())
    finally:
        await channel.aclose()
    assert receipt.report["signal"] == "receipt"
    assert [e.kind for e in receipt.evidence] == ["as4-answer", "smp-answer"]
    assert receiver.records()[0]["ok"]


async def test_preflight_lookup_says_whether_and_how_a_participant_is_reached(
    kit, network, tmp_path
):
    from aiohttp.test_utils import TestClient, TestServer

    from gateway.ledger import Ledger
    from gateway.settings import Settings
    from gateway.web.app import create_app
    from tests.acceptance.conftest import auth

    sml, smp, _ = network
    _register(kit, sml, smp, url="https://ap.example.test/as4")
    db = f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
    settings = Settings(
        data_dir=tmp_path,
        database_url=db,
        default_plan=("peppol", "spool"),
        channels={
            "peppol": {
                **kit.seat("POP000001"),
                "sml_zone": ZONE,
                "dns_server": sml.address,
                "smp_truststore": str(kit.pki / "truststore.pem"),
            },
            "spool": {"folder": str(tmp_path / "spool")},
        },
    )
    ledger = await Ledger.open(db)
    _, key = await ledger.create_tenant("seller")
    client = TestClient(TestServer(create_app(settings, ledger=ledger)))
    await client.start_server()
    try:
        found = await (
            await client.get("/v1/recipients/lookup", params={"id": BUYER}, headers=auth(key))
        ).json()
        invoice = found["peppol"]["peppol"]["invoice"]
        assert (
            invoice["reachable"] is True
            and invoice["access_point"] == "POP000002"
            and invoice["certificate"]["valid"]
        )
        assert found["peppol"]["peppol"]["credit_note"]["reachable"] is False
        assert found["would_use"] == "peppol"

        missing = await (
            await client.get(
                "/v1/recipients/lookup", params={"id": "0007:1111111111"}, headers=auth(key)
            )
        ).json()
        assert missing["peppol"]["peppol"]["invoice"]["reachable"] is False
        assert missing["would_use"] == "spool" and "not registered" in missing["plan"][0]["reason"]

        bad = await client.get(
            "/v1/recipients/lookup", params={"id": "5567321707"}, headers=auth(key)
        )
        assert bad.status == 422 and (await bad.json())["errors"][0]["parameter"] == "id"
    finally:
        await client.close()
        await ledger.aclose()
