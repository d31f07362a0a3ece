"""Email and print end to end: a real SMTP server (aiosmtpd) receives the invoice PDF, a bounce
sent to the gateway's bounce receiver moves the invoice to print, and the print provider's
acknowledgement file makes it delivered. SMTP down → retries → fallback to print."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import shutil
import socket
import subprocess

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from formats.jsoncodec import dumps
from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued as Q1234ABCD"


@pytest.fixture
def mta():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


async def _gateway(tmp_path, smtp_port: int):
    bounce_port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        channels={
            "email": {
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "from_address": "faktura@moderna.example",
                "bounce_domain": "bounce.moderna.example",
                "bounce_listen": f"127.0.0.1:{bounce_port}",
                "max_attempts": 2,
                "backoff_initial": 0.05,
                "backoff_max": 0.1,
            },
            "print": {"folder": str(tmp_path / "print"), "duplex": True},
        },
        default_plan=("email", "print"),
        worker=WorkerSettings(poll_seconds=0.05),
        ack_poll_seconds=0.1,
    )
    ledger = await Ledger.open(settings.db_url)
    _, key = await ledger.create_tenant("moderna")
    client = TestClient(TestServer(create_app(settings, ledger=ledger)))
    await client.start_server()
    headers = {"Authorization": f"Bearer {key}"}
    # the buyer's email and postal address come from the tenant's directory
    await client.put(
        "/v1/recipients/0007:5567321707",
        json={"email": "ap@johnssons.example", "language": "sv"},
        headers=headers,
    )
    return client, ledger, headers, bounce_port


async def _wait(client, headers, invoice_id, predicate, timeout=30):
    for _ in range(int(timeout / 0.05)):
        body = await (await client.get(f"/v1/invoices/{invoice_id}", headers=headers)).json()
        if predicate(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out; last state {body}")


async def test_email_then_bounce_then_print_ack(tmp_path, mta, oracle):
    box, smtp_port = mta
    client, ledger, headers, bounce_port = await _gateway(tmp_path, smtp_port)
    try:
        r = await client.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert r.status == 202, await r.text()
        invoice_id = (await r.json())["id"]
        body = await _wait(client, headers, invoice_id, lambda b: b["status"] == "delivered")
        email_delivery = body["deliveries"][0]
        assert email_delivery["channel"] == "email" and email_delivery["remote_id"] == "Q1234ABCD"

        mail_from, rcpt, raw = box.messages[0]
        assert rcpt == ["ap@johnssons.example"]
        assert mail_from == f"bounces+{email_delivery['id']}@bounce.moderna.example"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert "Faktura 2026-1001" in message["Subject"]
        pdf = next(
            p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"
        ).get_content()
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "2026-1001" in text and "Att betala" in text
        embedded = PdfReader(io.BytesIO(pdf)).attachments["invoice.xml"][0]
        assert oracle.validate_bytes(embedded, name="embedded.xml").valid

        # the recipient's server bounces the mail afterwards (RFC 3464 DSN to the VERP address)
        dsn = (
            "From: MAILER-DAEMON@johnssons.example\r\nTo: "
            + mail_from
            + "\r\nSubject: Undelivered Mail\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.johnssons.example\r\n\r\n"
            "Final-Recipient: rfc822; ap@johnssons.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n--B--\r\n"
        )
        from aiosmtplib import send

        await send(
            dsn.encode(),
            sender="mailer-daemon@johnssons.example",
            recipients=[mail_from],
            hostname="127.0.0.1",
            port=bounce_port,
        )
        body = await _wait(
            client, headers, invoice_id, lambda b: b["status"] == "awaiting_confirmation"
        )
        assert body["status"] == "awaiting_confirmation"
        batch = next((tmp_path / "print").glob("batch-*"))
        manifest = (batch / "manifest.csv").read_text()
        assert "2026-1001" in manifest and "Stockholm" in manifest
        printed = next(batch.glob("*.pdf")).read_bytes()
        assert len(PdfReader(io.BytesIO(printed)).pages) % 2 == 0, "duplex: an even number of pages"

        # the print provider acknowledges the batch
        message_id = body["deliveries"][1]["message_id"]
        (tmp_path / "print" / "ack").mkdir()
        (tmp_path / "print" / "ack" / "ack-1.csv").write_text(
            f"message_id;status;reason\n{message_id};OK;\n"
        )
        body = await _wait(client, headers, invoice_id, lambda b: b["status"] == "delivered")
        events = [
            e["type"]
            for e in (
                await (
                    await client.get(f"/v1/invoices/{invoice_id}/events", headers=headers)
                ).json()
            )["items"]
        ]
        assert events == [
            "invoice.accepted",
            "invoice.delivered",
            "delivery.fallback",
            "delivery.handed_over",
            "invoice.delivered",
        ]
        evidence = (
            await (await client.get(f"/v1/invoices/{invoice_id}/evidence", headers=headers)).json()
        )["items"]
        assert {e["kind"] for e in evidence} >= {"smtp-transcript", "bounce", "acknowledgement"}
    finally:
        await client.close()
        await ledger.aclose()


async def test_smtp_down_is_retried_then_falls_back_to_print(tmp_path):
    client, ledger, headers, _ = await _gateway(tmp_path, free_port())  # nothing listens there
    try:
        r = await client.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers={**headers, "Content-Type": "application/json"},
        )
        invoice_id = (await r.json())["id"]
        body = await _wait(client, headers, invoice_id, lambda b: b["current_channel"] == "print")
        email_delivery = body["deliveries"][0]
        assert email_delivery["status"] == "failed" and email_delivery["attempts"] == 2
        assert "unavailable" in email_delivery["last_error"]
    finally:
        await client.close()
        await ledger.aclose()
