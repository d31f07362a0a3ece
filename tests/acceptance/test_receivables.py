"""Receivables over the API: an accepted invoice is an open item, a BgMax file pays it (once),
an unmatched payment is assigned by hand, and ageing and reminders-due report the rest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from formats.jsoncodec import dumps
from tests.acceptance.conftest import auth
from tests.svefaktura_samples import invoice


def _bgmax(reference: str, amount_ore: int, serial: str, payer: str = "5567321707") -> bytes:
    rows = [
        "01BGMAX               0120261120064512123456P",
        "0500099123460000000000SEK",
        "20"
        + "0050501055"
        + reference.ljust(25)
        + f"{amount_ore:018d}"
        + "21"
        + serial.ljust(12)
        + "0",
        "29" + payer.rjust(12, "0"),
        "15"
        + "SE4550000000058398257466".ljust(35)
        + "20261120"
        + "00001"
        + f"{amount_ore:018d}"
        + "SEK"
        + "00000001",
        "70" + "00000001" + "00000000" + "00000000" + "00000001",
    ]
    return ("\r\n".join(r.ljust(80) for r in rows) + "\r\n").encode("iso-8859-1")


async def test_invoice_is_followed_to_payment(gateway):
    headers = auth(gateway.key, **{"Content-Type": "application/json"})
    paid = (
        await (await gateway.post("/v1/invoices", data=dumps(invoice()), headers=headers)).json()
    )["id"]
    late = invoice(number="2026-0900", due_date=date(2026, 10, 1), issue_date=date(2026, 9, 1))
    late = replace(
        late, payment_means=(replace(late.payment_means[0], remittance_information=None),)
    )
    late_id = (
        await (await gateway.post("/v1/invoices", data=dumps(late), headers=headers)).json()
    )["id"]

    item = await (await gateway.get(f"/v1/receivables/{paid}", headers=auth(gateway.key))).json()
    assert (item["reference"], item["open_amount"], item["state"]) == (
        "1234567897",
        "7760.40",
        "open",
    )
    generated = (
        await (await gateway.get(f"/v1/receivables/{late_id}", headers=auth(gateway.key))).json()
    )["reference"]
    assert generated == "2026090007", (
        "an OCR (length digit 0 for ten digits, then the Luhn digit) is generated when none is given"
    )

    file = _bgmax("1234567897", 776040, "000000000001")
    first = await (
        await gateway.post(
            "/v1/payments/import",
            data=file,
            headers=auth(gateway.key, **{"Content-Type": "text/plain"}),
        )
    ).json()
    again = await (
        await gateway.post(
            "/v1/payments/import",
            data=file,
            headers=auth(gateway.key, **{"Content-Type": "text/plain"}),
        )
    ).json()
    assert (first["matched"], again["imported"], again["duplicates"]) == (1, 0, 1)
    assert (await (await gateway.get(f"/v1/receivables/{paid}", headers=auth(gateway.key))).json())[
        "state"
    ] == "paid"

    stray = _bgmax("WRONG REF", 10000, "000000000002", payer="5599999999")
    await gateway.post(
        "/v1/payments/import",
        data=stray,
        headers=auth(gateway.key, **{"Content-Type": "text/plain"}),
    )
    unmatched = (
        await (await gateway.get("/v1/payments?state=unmatched", headers=auth(gateway.key))).json()
    )["items"]
    assert len(unmatched) == 1
    r = await gateway.post(
        f"/v1/payments/{unmatched[0]['id']}/assign",
        json={"invoice_id": late_id},
        headers=auth(gateway.key),
    )
    assert r.status == 200
    assert (
        await (await gateway.get(f"/v1/receivables/{late_id}", headers=auth(gateway.key))).json()
    )["state"] == "partly_paid"

    ageing = await (
        await gateway.get("/v1/receivables/ageing?date=2026-11-23", headers=auth(gateway.key))
    ).json()
    assert ageing["total"]["31-60"] == "7660.40"
    due = (
        await (
            await gateway.get(
                "/v1/receivables/reminders-due?date=2026-11-23", headers=auth(gateway.key)
            )
        ).json()
    )["items"]
    assert [(d["invoice_id"], d["step"], d["compensation"]) for d in due] == [
        (late_id, "friendly", "450")
    ]
    # 2026 H2's reference rate is not in the table yet: the interest is reported missing, not guessed
    assert due[0]["interest"] is None and "2026-07-01" in due[0]["interest_error"]


async def test_bad_payment_files_name_the_line_and_other_tenants_see_nothing(gateway):
    r = await gateway.post(
        "/v1/payments/import",
        data=b"01BGMAX  broken",
        headers=auth(gateway.key, **{"Content-Type": "text/plain"}),
    )
    assert r.status == 422 and "line" in (await r.json())["errors"][0]["location"]
    assert (await (await gateway.get("/v1/payments", headers=auth(gateway.other_key))).json())[
        "items"
    ] == []
