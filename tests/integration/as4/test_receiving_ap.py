"""Our receiving access point (POST /as4) judged by two independent senders: ``as4`` (lxml +
cryptography) and ``peppol-py`` (libxmlsec1). Accepted documents land in the serviced tenant's
inbox once; everything else gets the signed ebMS error the Peppol AS4 profile prescribes."""

from __future__ import annotations

import pytest

from tests.acceptance.conftest import auth
from tests.integration.as4.peers import KIT, peer_send

SAMPLE = KIT / "samples" / "invoice.xml"
pytestmark = pytest.mark.slow


async def _inbox(client, key):
    r = await client.get("/v1/inbox", headers=auth(key))
    assert r.status == 200
    return (await r.json())["items"]


@pytest.mark.parametrize("impl", ["as4", "peppol-py"])
async def test_a_document_from_an_independent_sender_is_received_with_a_signed_receipt(
    access_point, kit, impl
):
    code, records = await peer_send(kit, access_point.as4_url, SAMPLE, impl=impl)
    assert code == 0, records
    (record,) = records
    assert record["ok"] and record["receipt_verified"] and record["signal"] == "receipt", record

    (item,) = await _inbox(access_point, access_point.key)
    assert item["sender"] == "0007:5560360793" and item["receiver"] == "0007:5567321707"
    assert "Invoice-2::Invoice##urn:cen.eu:en16931:2017" in item["document_type"]
    assert item["message_id"] == record["message_id"]
    document = await access_point.get(f"/v1/inbox/{item['id']}", headers=auth(access_point.key))
    assert document.status == 200 and b"StandardBusinessDocument" in await document.read()
    # the other tenant sees nothing, and cannot fetch it by id
    assert await _inbox(access_point, access_point.other_key) == []
    foreign = await access_point.get(
        f"/v1/inbox/{item['id']}", headers=auth(access_point.other_key)
    )
    assert foreign.status == 404

    ack = await access_point.post(f"/v1/inbox/{item['id']}/ack", headers=auth(access_point.key))
    assert ack.status == 200
    (item,) = await _inbox(access_point, access_point.key)
    assert item["status"] == "acknowledged" and item["acked_at"]


async def test_a_retransmission_gets_a_receipt_again_and_is_stored_once(access_point, kit):
    code, records = await peer_send(kit, access_point.as4_url, SAMPLE, "--repeat", "2")
    assert code == 0 and [r["ok"] for r in records] == [True, True], records
    assert records[0]["message_id"] == records[1]["message_id"]
    assert len(await _inbox(access_point, access_point.key)) == 1


async def test_a_signer_from_an_untrusted_pki_is_refused_with_ebms_0101(
    access_point, kit, foreign_pki
):
    code, records = await peer_send(kit, access_point.as4_url, SAMPLE, pki=foreign_pki)
    assert code == 1
    (record,) = records
    assert record["signal"] == "error" and record["ebms_errors"][0]["code"] == "EBMS:0101", record
    assert await _inbox(access_point, access_point.key) == []


async def test_a_participant_we_do_not_serve_gets_peppol_not_serviced(access_point, kit):
    code, records = await peer_send(
        kit, access_point.as4_url, SAMPLE, "--receiver-id", "0007:1111111111"
    )
    assert code == 1
    (error,) = records[0]["ebms_errors"]
    assert error["code"] == "EBMS:0004" and "PEPPOL:NOT_SERVICED" in (error["detail"] or ""), (
        records
    )
    assert records[0]["signal_signature_ok"] is True
    assert await _inbox(access_point, access_point.key) == []


async def test_a_message_for_another_access_point_is_refused_with_ebms_0003(access_point, kit):
    code, records = await peer_send(kit, access_point.as4_url, SAMPLE, "--to-seat", "POP000003")
    assert code == 1
    assert records[0]["ebms_errors"][0]["code"] == "EBMS:0003", records
    assert await _inbox(access_point, access_point.key) == []


async def test_garbage_is_answered_with_an_ebms_error_not_a_crash(access_point):
    r = await access_point.post(
        "/as4", data=b"<not-as4/>", headers={"Content-Type": "application/soap+xml"}
    )
    assert r.status == 200
    body = await r.read()
    assert b"eb:Error" in body and b"EBMS:0001" in body
