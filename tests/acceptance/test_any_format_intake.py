"""Issue 6 end to end: the gateway takes CII, Svefaktura and Factur-X PDFs like JSON and UBL, and
an operator channel hands Svefaktura to a (real, local) operator over HTTP."""

from __future__ import annotations

import io

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pypdf import PdfWriter

from formats.cii import write as write_cii
from formats.svefaktura import write as write_sfti
from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from tests.acceptance.conftest import auth, wait_for
from tests.svefaktura_samples import invoice


def _facturx() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", write_cii(invoice()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (write_cii(invoice()), "application/xml"),
        (write_sfti(invoice()), "application/xml"),
        (_facturx(), "application/pdf"),
    ],
    ids=["cii", "svefaktura", "facturx"],
)
async def test_every_syntax_is_accepted_and_delivered(gateway, body, content_type):
    r = await gateway.post(
        "/v1/invoices", data=body, headers=auth(gateway.key, **{"Content-Type": content_type})
    )
    assert r.status == 202, await r.text()
    invoice_id = (await r.json())["id"]
    assert (await wait_for(gateway, invoice_id, "delivered"))["status"] == "delivered"
    ubl = await (
        await gateway.get(f"/v1/invoices/{invoice_id}/documents/ubl", headers=auth(gateway.key))
    ).read()
    assert b"<cbc:ID>2026-1001</cbc:ID>" in ubl
    original = await gateway.get(
        f"/v1/invoices/{invoice_id}/documents/original", headers=auth(gateway.key)
    )
    assert await original.read() == body


async def test_svefaktura_goes_to_the_recipients_operator(tmp_path, oracle):
    received = []

    async def operator(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"id": "VAN-77"}, status=201)

    van = web.Application()
    van.router.add_post("/in", operator)
    van_server = TestServer(van)
    await van_server.start_server()
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'op.db'}",
        channels={
            "operator": {
                "operators": {"van": {"transport": "http", "url": str(van_server.make_url("/in"))}}
            }
        },
        default_plan=("operator",),
        worker=WorkerSettings(poll_seconds=0.05),
    )
    ledger = await Ledger.open(settings.db_url)
    _, key = await ledger.create_tenant("t")
    client = TestClient(TestServer(create_app(settings, ledger=ledger)))
    await client.start_server()
    try:
        headers = {"Authorization": f"Bearer {key}"}
        await client.put(
            "/v1/recipients/0007:5567321707", json={"operator": "van"}, headers=headers
        )
        from formats.jsoncodec import dumps

        r = await client.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers={**headers, "Content-Type": "application/json"},
        )
        invoice_id = (await r.json())["id"]
        for _ in range(100):
            body = await (await client.get(f"/v1/invoices/{invoice_id}", headers=headers)).json()
            if body["status"] == "delivered":
                break
            import asyncio

            await asyncio.sleep(0.05)
        assert body["deliveries"][0]["remote_id"] == "VAN-77"
        assert oracle.validate_bytes(received[0], name="to-operator.xml").valid
        assert b"urn:sfti:documents:BasicInvoice:1:0" in received[0]
    finally:
        await client.close()
        await ledger.aclose()
        await van_server.close()
