import email

from aiosmtpd.controller import Controller

from gateway import digest
from gateway.ledger import Ledger, RenderedDocument, now
from tests.integration.channels.test_email_print_flow import Mailbox, free_port
from tests.ledger_samples import acceptance


async def test_digest_lists_failures_and_reaches_finance(tmp_path):
    ledger = await Ledger.open(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    tenant, _ = await ledger.create_tenant("acme")
    result = await ledger.accept(
        acceptance(
            tenant.id,
            "k",
            body_hash="h",
            number="2026-77",
            buyer_name="Buyer AB",
            buyer_key=None,
            plan=("x",),
            documents=(RenderedDocument("ubl", "application/xml", b"<x/>"),),
        )
    )
    claim = (await ledger.claim_due("w", now(), limit=1, lease=30))[0]
    await ledger.record_failure(claim, "w", now(), error="RemoteRejected: no such participant")
    message = await digest.compose(ledger, tenant.id, tenant.name, "https://gw.example")
    text = message.get_content()
    assert (
        "2026-77" in text
        and "no such participant" in text
        and "https://gw.example/ui/failures" in text
    )
    assert message["Subject"].startswith("Fakturaport: 1 invoice(s) need action")
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        await digest.send(
            message,
            {
                "host": "127.0.0.1",
                "port": controller.port,
                "security": "none",
                "from_address": "gw@acme.example",
            },
            ["finance@acme.example"],
        )
    finally:
        controller.stop()
    received = email.message_from_bytes(box.messages[0][2])
    assert received["To"] == "finance@acme.example" and result.created
    await ledger.aclose()
