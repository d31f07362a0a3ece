"""Bounces collected from an IMAP mailbox on a real IMAP server (dovecot): an invoice emailed to
a real SMTP server bounces into the mailbox; the gateway finds the bounce, fails the email
delivery over to print, moves the bounce to the processed folder and leaves other mail alone."""

from __future__ import annotations

import asyncio
import imaplib
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.email_imap import SEEN, ImapSettings, poll_once
from formats.jsoncodec import dumps
from gateway.ledger import Ledger
from gateway.settings import Settings, WorkerSettings
from gateway.web.app import create_app
from tests.imap_server import imap_server, unavailable
from tests.integration.channels.test_email_print_flow import _wait, mta  # noqa: F401  (fixture)
from tests.svefaktura_samples import invoice
from tests.unit.channels.test_email_bounces import DATA

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=unavailable() or "")


@pytest.fixture
def imap():
    with imap_server() as server:
        yield server


def _append(server, raw: bytes) -> None:
    conn = imaplib.IMAP4("127.0.0.1", server.port)
    conn.login(server.user, server.password)
    conn.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
    conn.logout()


def _folders(server) -> dict[str, int]:
    conn = imaplib.IMAP4("127.0.0.1", server.port)
    conn.login(server.user, server.password)
    counts = {}
    for folder in ("INBOX", "Processed"):
        status, data = conn.select(folder, readonly=True)
        counts[folder] = int(data[0]) if status == "OK" else 0
    conn.logout()
    return counts


async def test_messages_are_fetched_once_and_settled(imap):
    _append(imap, b"From: someone@example.com\r\nSubject: hello\r\n\r\nnot a bounce\r\n")
    _append(imap, b"From: other@example.com\r\nSubject: bounce-ish\r\n\r\nrecorded one\r\n")
    seen: list[bytes] = []

    async def on_message(raw: bytes) -> bool:
        seen.append(raw)
        return b"recorded one" in raw

    settings = ImapSettings.from_config(imap.settings())
    assert await poll_once(settings, on_message) == 1
    assert len(seen) == 2
    assert await poll_once(settings, on_message) == 0 and len(seen) == 2  # nothing twice
    assert _folders(imap) == {"INBOX": 1, "Processed": 1}
    conn = imaplib.IMAP4("127.0.0.1", imap.port)
    conn.login(imap.user, imap.password)
    conn.select("INBOX", readonly=True)
    assert (
        SEEN.encode() in conn.fetch("1", "(FLAGS)")[1][0]
        and b"\\Seen" not in conn.fetch("1", "(FLAGS)")[1][0]
    )
    conn.logout()


async def test_a_bounce_in_the_mailbox_sends_the_invoice_to_print(tmp_path, mta, imap):  # noqa: F811
    box, smtp_port = mta
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
                "imap": imap.settings(poll_seconds=0.2),
            },
            "print": {"folder": str(tmp_path / "print")},
        },
        default_plan=("email", "print"),
        worker=WorkerSettings(poll_seconds=0.05),
    )
    ledger = await Ledger.open(settings.db_url)
    _, key = await ledger.create_tenant("moderna")
    client = TestClient(TestServer(create_app(settings, ledger=ledger)))
    await client.start_server()
    headers = {"Authorization": f"Bearer {key}"}
    try:
        await client.put(
            "/v1/recipients/0007:5567321707",
            json={"email": "ekonomi@byggvaror.se"},
            headers=headers,
        )
        r = await client.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers={**headers, "Content-Type": "application/json"},
        )
        invoice_id = (await r.json())["id"]
        await _wait(client, headers, invoice_id, lambda b: b["status"] == "delivered")
        _, _, sent = box.messages[0]
        message_id = next(
            line for line in sent.decode().splitlines() if line.lower().startswith("message-id:")
        )
        local = message_id.split("<", 1)[1].split("@", 1)[0]

        # a qmail bounce sent to the From address (no VERP left), quoting our Message-ID
        _append(
            imap,
            (DATA / "qmail.eml")
            .read_bytes()
            .replace(b"{MSGID}", local.encode())
            .replace(b"\n", b"\r\n"),
        )
        _append(imap, b"From: a.person@byggvaror.se\r\nSubject: Re: Faktura\r\n\r\nTack!\r\n")
        body = await _wait(client, headers, invoice_id, lambda b: b["current_channel"] == "print")
        assert (
            body["deliveries"][0]["status"] == "failed"
            and "no mailbox here" in body["deliveries"][0]["last_error"]
        )
        evidence = await (
            await client.get(f"/v1/invoices/{invoice_id}/evidence", headers=headers)
        ).json()
        assert "bounce" in [e["kind"] for e in evidence["items"]]
        for _ in range(40):
            if _folders(imap) == {"INBOX": 1, "Processed": 1}:
                break
            await asyncio.sleep(0.1)
        assert _folders(imap) == {"INBOX": 1, "Processed": 1}
    finally:
        await client.close()
        await ledger.aclose()
