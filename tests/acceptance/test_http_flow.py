"""HTTP in → stored → delivered through the spool with a receipt, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from formats.jsoncodec import dumps
from formats.peppol.ubl_write import write
from gateway.web.context import CTX
from tests.acceptance.conftest import auth, wait_for
from tests.svefaktura_samples import invoice


async def test_json_invoice_is_delivered_to_the_spool_with_receipt_and_events(gateway):
    r = await gateway.post(
        "/v1/invoices",
        data=dumps(invoice()),
        headers=auth(gateway.key, **{"Content-Type": "application/json"}),
    )
    assert r.status == 202, await r.text()
    accepted = await r.json()
    assert accepted["status"] == "accepted" and accepted["links"]["self"].endswith(accepted["id"])
    done = await wait_for(gateway, accepted["id"], "delivered")
    assert done["status"] == "delivered", done
    spooled = [p for p in Path(gateway.spool).glob("*.xml")]
    assert len(spooled) == 1 and b"<cbc:ID>2026-1001</cbc:ID>" in spooled[0].read_bytes()
    events = await (
        await gateway.get(f"/v1/invoices/{accepted['id']}/events", headers=auth(gateway.key))
    ).json()
    assert [e["type"] for e in events["items"]] == ["invoice.accepted", "invoice.delivered"]
    evidence = await (
        await gateway.get(f"/v1/invoices/{accepted['id']}/evidence", headers=auth(gateway.key))
    ).json()
    assert evidence["items"][0]["kind"] == "spool-receipt"
    ubl = await gateway.get(
        f"/v1/invoices/{accepted['id']}/documents/ubl", headers=auth(gateway.key)
    )
    assert ubl.status == 200 and (await ubl.read()) == spooled[0].read_bytes()
    report = await (
        await gateway.get("/v1/reports/reconciliation", headers=auth(gateway.key))
    ).json()
    assert report["accepted"] == report["delivered"] == 1 and report["balanced"]


async def test_ubl_intake_and_idempotent_replays(gateway):
    body = write(invoice())
    headers = auth(gateway.key, **{"Content-Type": "application/xml", "Idempotency-Key": "k-1"})
    first = await gateway.post("/v1/invoices", data=body, headers=headers)
    again = await gateway.post("/v1/invoices", data=body, headers=headers)
    assert first.status == 202 and again.status == 200
    assert (await first.json())["id"] == (await again.json())["id"]
    changed = await gateway.post(
        "/v1/invoices", data=body.replace(b"2026-1001", b"2026-1002"), headers=headers
    )
    assert changed.status == 409
    assert changed.content_type == "application/problem+json"


async def test_concurrent_replays_make_one_invoice(gateway):
    body = dumps(invoice())
    headers = auth(gateway.key, **{"Content-Type": "application/json", "Idempotency-Key": "burst"})
    answers = await asyncio.gather(
        *(gateway.post("/v1/invoices", data=body, headers=headers) for _ in range(12))
    )
    ids = {(await a.json())["id"] for a in answers}
    assert len(ids) == 1
    assert sorted(a.status for a in answers).count(202) == 1
    listing = await (await gateway.get("/v1/invoices", headers=auth(gateway.key))).json()
    assert len(listing["items"]) == 1


async def test_tenants_never_see_each_other(gateway):
    r = await gateway.post(
        "/v1/invoices",
        data=dumps(invoice()),
        headers=auth(gateway.key, **{"Content-Type": "application/json"}),
    )
    invoice_id = (await r.json())["id"]
    for path in ("", "/events", "/evidence", "/documents/ubl"):
        other = await gateway.get(
            f"/v1/invoices/{invoice_id}{path}", headers=auth(gateway.other_key)
        )
        assert other.status == 404, path
    assert (
        await gateway.post(f"/v1/invoices/{invoice_id}/retry", headers=auth(gateway.other_key))
    ).status == 404
    listing = await (await gateway.get("/v1/invoices", headers=auth(gateway.other_key))).json()
    assert listing["items"] == []
    feed = await (await gateway.get("/v1/events", headers=auth(gateway.other_key))).json()
    assert feed["items"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"number": ', "application/json", 422),
        (b'{"lines": [{"quantity": "many"}]}', "application/json", 422),
        (
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            "application/xml",
            422,
        ),
        (b"<Order xmlns='urn:x'/>", "application/xml", 422),
        (b"hello", "text/plain", 415),
        (b"x" * (2 * 1024 * 1024), "application/json", 413),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_stores_nothing(gateway, body, content_type, status):
    r = await gateway.post(
        "/v1/invoices", data=body, headers=auth(gateway.key, **{"Content-Type": content_type})
    )
    assert r.status == status, await r.text()
    problem = json.loads(await r.read())
    assert problem["status"] == status and problem["detail"]
    listing = await (await gateway.get("/v1/invoices", headers=auth(gateway.key))).json()
    assert listing["items"] == []
    assert (await gateway.get("/healthz")).status == 200


async def test_malformed_json_names_the_pointer(gateway):
    obj = json.loads(dumps(invoice()))
    obj["lines"][1]["quantity"] = "many"
    r = await gateway.post("/v1/invoices", json=obj, headers=auth(gateway.key))
    problem = await r.json()
    assert problem["errors"][0]["pointer"] == "/lines/1/quantity"


async def test_a_control_character_is_refused_by_its_pointer(gateway):
    obj = json.loads(dumps(invoice()))
    obj["buyer"]["name"] = "Johnssons\u0001 Byggvaror"
    r = await gateway.post("/v1/invoices", json=obj, headers=auth(gateway.key))
    assert r.status == 422, await r.text()
    problem = await r.json()
    assert problem["errors"][0]["pointer"] == "/buyer/name"
    assert "U+0001" in problem["detail"]
    listing = await (await gateway.get("/v1/invoices", headers=auth(gateway.key))).json()
    assert listing["items"] == []


@pytest.mark.parametrize(
    "header", [None, "Bearer nope", "Basic abc", "Bearer fp_000000000000_forged"]
)
async def test_missing_or_bad_keys_are_401(gateway, header):
    headers = {"Authorization": header} if header else {}
    r = await gateway.get("/v1/invoices", headers=headers)
    assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unknown_routes_and_methods_are_problems(gateway):
    assert (
        await gateway.get("/v1/nothing", headers=auth(gateway.key))
    ).content_type == "application/problem+json"
    r = await gateway.delete("/v1/invoices", headers=auth(gateway.key))
    assert r.status == 405 and r.content_type == "application/problem+json"


async def test_openapi_describes_every_route(gateway):
    doc = await (await gateway.get("/v1/openapi.json")).json()
    undocumented = [
        (m, p)
        for p, ops in doc["paths"].items()
        for m, spec in ops.items()
        if spec["summary"] == "UNDOCUMENTED"
    ]
    assert not undocumented
    assert "/v1/invoices/{id}/redirect" in doc["paths"]


async def test_metrics_and_schema_are_served(gateway):
    await gateway.post(
        "/v1/invoices",
        data=dumps(invoice()),
        headers=auth(gateway.key, **{"Content-Type": "application/json"}),
    )
    metrics = await (await gateway.get("/metrics")).text()
    assert 'fakturaport_intake_total{outcome="accepted"} 1.0' in metrics
    schema = await (await gateway.get("/v1/schema/invoice.json")).json()
    assert schema["properties"]["number"]["description"].startswith("BT-1")


async def test_the_list_filters_by_amount_and_recipient_and_sorts(gateway):
    from tests.svefaktura_samples import line

    for number, quantity in (("A-1", "1"), ("A-2", "10"), ("A-3", "100")):
        r = await gateway.post(
            "/v1/invoices",
            data=dumps(invoice(number=number, lines=(line(1, quantity, "50"),))),
            headers=auth(gateway.key, **{"Content-Type": "application/json"}),
        )
        assert r.status == 202, await r.text()

    async def listing(**params) -> list[str]:
        r = await gateway.get("/v1/invoices", params=params, headers=auth(gateway.key))
        assert r.status == 200, await r.text()
        return [i["number"] for i in (await r.json())["items"]]

    assert await listing(amount_min="100", amount_max="1000") == ["A-2"]  # 62.50, 625.00, 6250.00
    assert await listing(sort="-amount") == ["A-3", "A-2", "A-1"]
    assert await listing(sort="amount", recipient="johnssons") == ["A-1", "A-2", "A-3"]
    assert await listing(recipient="0007:5567321707", amount_min="6000") == ["A-3"]
    assert await listing(recipient="someone else") == []
    first = await (
        await gateway.get(
            "/v1/invoices", params={"sort": "number", "limit": "2"}, headers=auth(gateway.key)
        )
    ).json()
    assert [i["number"] for i in first["items"]] == ["A-1", "A-2"] and first["next_cursor"] == "2"
    assert await listing(sort="number", cursor=first["next_cursor"]) == ["A-3"]
    bad = await gateway.get("/v1/invoices", params={"sort": "colour"}, headers=auth(gateway.key))
    assert bad.status == 400 and "sort" in (await bad.json())["detail"]


async def test_a_failed_invoice_is_redirected_but_not_while_an_attempt_is_under_way(gateway):
    memory = gateway.app[CTX].channels["mem"]
    memory.then("permanent")
    headers = auth(gateway.key, **{"Content-Type": "application/json"})
    r = await gateway.post("/v1/invoices?plan=mem", data=dumps(invoice()), headers=headers)
    invoice_id = (await r.json())["id"]
    assert (await wait_for(gateway, invoice_id, "failed"))["status"] == "failed"

    # The retry goes out on the memory channel again, slowly: meanwhile a redirect is refused.
    memory.delay = 1.0
    r = await gateway.post(f"/v1/invoices/{invoice_id}/retry", headers=auth(gateway.key))
    assert r.status == 202
    refused = None
    for _ in range(100):
        view = await (await gateway.get(f"/v1/invoices/{invoice_id}", headers=headers)).json()
        if any(d["status"] == "pending" and d["attempts"] for d in view["deliveries"]):
            refused = await gateway.post(
                f"/v1/invoices/{invoice_id}/redirect", json={"channel": "spool"}, headers=headers
            )
            break
        await asyncio.sleep(0.02)
    assert refused is not None and refused.status == 409, refused and await refused.text()
    assert (await refused.json())["type"] == "/problems/delivery-in-flight"
    assert (await wait_for(gateway, invoice_id, "delivered"))["current_channel"] == "mem"

    # Redirected after the fact (the buyer wants it on paper too): it goes out on the spool.
    memory.delay = 0.0
    r = await gateway.post(
        f"/v1/invoices/{invoice_id}/redirect", json={"channel": "nowhere"}, headers=headers
    )
    assert r.status == 422
    r = await gateway.post(
        f"/v1/invoices/{invoice_id}/redirect", json={"channel": "spool"}, headers=headers
    )
    assert r.status == 202
    delivered = await wait_for(gateway, invoice_id, "delivered")
    assert delivered["current_channel"] == "spool"
    assert len(memory.sent) == 2
