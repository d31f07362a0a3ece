"""Reminders sent for real: a real SMTP server (aiosmtpd) receives each reminder PDF, the job is
idempotent, a paid item gets none, a payment withdraws a queued one, print reminders are
confirmed by the provider's acknowledgement, and after the final notice the item is handed to
collection with a case file — every state change reaching a real webhook receiver.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from formats.jsoncodec import dumps
from gateway.ledger import Ledger
from gateway.notify import verify
from gateway.settings import Settings, WorkerSettings
from gateway.signals import import_acknowledgements
from gateway.web.app import create_app
from gateway.web.context import CTX
from gateway.worker import Worker
from tests.acceptance.test_receivables import _bgmax
from tests.integration.channels.test_email_print_flow import Mailbox, free_port
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)
DUE = date(2025, 9, 30)  # 2025 H2: reference rate 2.00 %, so dröjsmålsränta 10 %


@pytest.fixture
def mta():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def site(request, tmp_path, mta):
    """A gateway with email and print; ``site.start(run_worker)`` serves it."""
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")
    )
    box, port = mta
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        channels={
            "email": {"host": "127.0.0.1", "port": port, "security": "none"},
            "print": {"folder": str(tmp_path / "print")},
        },
        default_plan=("email", "print"),
        worker=WorkerSettings(poll_seconds=0.05),
        ack_poll_seconds=3600,
    )
    ledger = await Ledger.open(url)
    _, key = await ledger.create_tenant(f"moderna-{tmp_path.name}")
    clients = []

    async def start(run_worker: bool = True) -> TestClient:
        client = TestClient(TestServer(create_app(settings, run_worker=run_worker, ledger=ledger)))
        await client.start_server()
        client.h = {"Authorization": f"Bearer {key}"}
        client.box, client.ledger, client.settings = box, ledger, settings
        await client.put(
            "/v1/recipients/0007:5567321707",
            json={"email": "ap@johnssons.example", "language": "sv"},
            headers=client.h,
        )
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()
    await ledger.aclose()


async def _submit(client, number: str, plan: str | None = None) -> str:
    inv = invoice(number=number, due_date=DUE, issue_date=date(2025, 9, 1))
    inv = replace(inv, payment_means=(replace(inv.payment_means[0], remittance_information=None),))
    r = await client.post(
        "/v1/invoices" + (f"?plan={plan}" if plan else ""),
        data=dumps(inv),
        headers={**client.h, "Content-Type": "application/json"},
    )
    assert r.status == 202, await r.text()
    return (await r.json())["id"]


async def _run(client, day: str) -> dict:
    r = await client.post(f"/v1/receivables/reminders/run?date={day}", headers=client.h)
    assert r.status == 200, await r.text()
    return await r.json()


async def _reminders(client, invoice_id: str, settled=("delivered",), timeout=30) -> list:
    for _ in range(int(timeout / 0.05)):
        items = (
            await (
                await client.get(f"/v1/receivables/{invoice_id}/reminders", headers=client.h)
            ).json()
        )["items"]
        if items and all(i["status"] in settled for i in items):
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"reminders not settled: {items}")


async def _pay(client, invoice_id: str, serial: str) -> None:
    item = await (await client.get(f"/v1/receivables/{invoice_id}", headers=client.h)).json()
    amount = int(item["open_amount"].replace(".", ""))
    r = await client.post(
        "/v1/payments/import",
        data=_bgmax(item["reference"], amount, serial),
        headers={**client.h, "Content-Type": "text/plain"},
    )
    assert (await r.json())["matched"] == 1


def _reminder_mails(box: Mailbox) -> list[tuple[list[str], email.message.EmailMessage, str]]:
    """The reminders among the mails (the invoices went by email too), with their PDF's text."""
    found = []
    for _, rcpt, raw in box.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not message["Subject"].startswith("Påminnelse"):
            continue
        pdf = next(p for p in message.iter_attachments()).get_content()
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        found.append((rcpt, message, text.stdout.decode()))
    return found


async def test_cadence_by_email_to_collection_with_webhooks(site):
    client = await site()
    received: list[tuple[dict, bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(({k.lower(): v for k, v in request.headers.items()}, await request.read()))
        return web.Response(status=204)

    receiver_app = web.Application()
    receiver_app.router.add_post("/hook", hook)
    receiver = TestServer(receiver_app)
    await receiver.start_server()
    try:
        secret = (
            await (
                await client.post(
                    "/v1/webhooks",
                    json={
                        "url": str(receiver.make_url("/hook")),
                        "events": [
                            "receivable.paid",
                            "receivable.reminded",
                            "receivable.handed_to_collection",
                        ],
                    },
                    headers=client.h,
                )
            ).json()
        )["secret"]
        late = await _submit(client, "2025-0901")
        paid = await _submit(client, "2025-0902")
        await _pay(client, paid, "000000000101")  # paid before any reminder: none goes out

        first = await _run(client, "2025-10-03")
        assert (first["issued"], [r["invoice_id"] for r in first["reminders"]]) == (1, [late])
        again = await _run(client, "2025-10-03")
        assert (again["issued"], again["already_issued"]) == (0, 0), "nothing is issued twice"
        [reminder] = await _reminders(client, late)
        # 7760.40 at 10 % for 3 days = 6.38; förseningsersättning 450 once (a company)
        assert (reminder["interest"], reminder["compensation"], reminder["total"]) == (
            "6.38",
            "450",
            "8216.78",
        )
        assert reminder["basis"]["interest_parts"][0]["rate"] == "10.00"
        delivery = reminder["deliveries"][0]
        assert (delivery["channel"], delivery["status"], delivery["remote_id"]) == (
            "email",
            "delivered",
            "Q1234ABCD",
        )
        assert delivery["receipts"][0]["kind"] == "smtp-transcript"
        [(rcpt, message, text)] = _reminder_mails(client.box)
        assert rcpt == ["ap@johnssons.example"] and "2025-0901" in message["Subject"]
        for words in ("Betalningspåminnelse", "Dröjsmålsränta", "Förseningsersättning", "8 216,78"):
            assert words in text, words
        assert (await (await client.get(f"/v1/receivables/{late}", headers=client.h)).json())[
            "state"
        ] == "in_reminder"

        early = await client.post(
            f"/v1/receivables/{late}/collection?date=2025-10-20", headers=client.h
        )
        assert early.status == 409 and "final notice" in (await early.json())["detail"]
        assert (await _run(client, "2025-10-14"))["reminders"][0]["kind"] == "reminder"
        assert (await _run(client, "2025-10-28"))["reminders"][0]["kind"] == "final_notice"
        reminders = await _reminders(client, late)
        assert [(r["level"], r["compensation"]) for r in reminders] == [
            (1, "450"),
            (2, "0"),
            (3, "0"),
        ], "the compensation is charged once per invoice"
        grace = await client.post(
            f"/v1/receivables/{late}/collection?date=2025-11-01", headers=client.h
        )
        assert grace.status == 409 and "2025-11-09" in (await grace.json())["detail"]

        r = await client.post(
            f"/v1/receivables/{late}/collection?date=2025-11-09", headers=client.h
        )
        assert r.status == 201, await r.text()
        case = await r.json()
        assert case["debtor"]["identifier"] == "5567321707"
        assert case["amounts"]["compensation"] == "450"
        assert [x["kind"] for x in case["reminders"]] == ["friendly", "reminder", "final_notice"]
        assert all(x["deliveries"][0]["receipts"] for x in case["reminders"])
        csv_text = await (
            await client.get(f"/v1/receivables/{late}/collection?format=csv", headers=client.h)
        ).text()
        assert len(csv_text.strip().splitlines()) == 4 and "final_notice" in csv_text
        item = await (await client.get(f"/v1/receivables/{late}", headers=client.h)).json()
        assert item["state"] == "handed_to_collection"
        assert (await _run(client, "2025-11-20"))["issued"] == 0
        again = await client.post(
            f"/v1/receivables/{late}/collection?date=2025-11-20", headers=client.h
        )
        assert again.status == 409

        for _ in range(200):
            if len(received) >= 5:
                break
            await asyncio.sleep(0.05)
    finally:
        await receiver.close()
    types = sorted(json.loads(body)["type"] for _, body in received)
    assert types == [
        "receivable.handed_to_collection",
        "receivable.paid",
        "receivable.reminded",
        "receivable.reminded",
        "receivable.reminded",
    ]
    assert all(verify(secret, headers, body) for headers, body in received)


async def test_payment_withdraws_a_queued_reminder_and_print_is_acknowledged(site):
    client = await site(run_worker=False)
    by_mail = await _submit(client, "2025-0911")
    by_post = await _submit(client, "2025-0912", plan="print")
    result = await _run(client, "2025-10-05")
    assert {(r["invoice_id"], r["channel"]) for r in result["reminders"]} == {
        (by_mail, "email"),
        (by_post, "print"),
    }, "a reminder goes by the channel the invoice went by"

    await _pay(client, by_mail, "000000000201")  # matched before the worker sends it
    [withdrawn] = await _reminders(client, by_mail, settled=("cancelled",))
    assert withdrawn["deliveries"][0]["status"] == "cancelled"

    worker = Worker(client.ledger, client.app[CTX].channels, client.settings, name="w1")
    sent = await worker.run_once()
    await worker.drain()
    assert sent == 3, "the two invoices and the print reminder; the withdrawn one stays"
    assert _reminder_mails(client.box) == []
    [queued] = await _reminders(client, by_post, settled=("awaiting_confirmation",))
    message_id = queued["deliveries"][0]["message_id"]
    counts = await import_acknowledgements(
        client.ledger, [("ack.csv", f"{message_id};OK;\n".encode())]
    )
    assert counts["confirmed"] == 1
    [done] = await _reminders(client, by_post)
    assert done["deliveries"][0]["receipts"][-1]["kind"] == "acknowledgement"
    # the invoice's own delivery state is untouched by its reminder's
    body = await (await client.get(f"/v1/invoices/{by_post}", headers=client.h)).json()
    assert [d["channel"] for d in body["deliveries"]] == ["print"]


async def test_bad_requests_are_clear_and_tenants_are_apart(site):
    client = await site(run_worker=False)
    r = await client.post("/v1/receivables/reminders/run?date=yesterday", headers=client.h)
    assert r.status == 400 and "YYYY-MM-DD" in (await r.json())["detail"]
    r = await client.post("/v1/receivables/nope/collection", headers=client.h)
    assert r.status == 404
    mine = await _submit(client, "2025-0921")
    _, other = await client.ledger.create_tenant(f"other-{mine[:6]}")
    r = await client.get(
        f"/v1/receivables/{mine}/reminders", headers={"Authorization": f"Bearer {other}"}
    )
    assert r.status == 404
    r = await client.post(
        "/v1/receivables/reminders/run?date=2025-10-05",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert (await r.json())["issued"] == 0
