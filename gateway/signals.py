"""Late signals from channels: bounces, print and operator acknowledgements → the ledger.

A delivery handed over with ``pending_confirmation`` (print, SFTP operators) is settled by the
provider's acknowledgement file; an email that was accepted by the SMTP server can still bounce.
Either way the outcome lands in the ledger as for a synchronous answer: confirmed → delivered,
failed → the next channel in the plan, with the provider's own words kept as evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from channels.email_bounces import Bounce, BounceReceiver
from channels.operator import parse_acknowledgements

from .ledger import EvidenceItem, Ledger, now

log = logging.getLogger("fakturaport.signals")


async def record_bounce(ledger: Ledger, bounce: Bounce) -> bool:
    reason = f"bounced: {bounce.status or ''} {bounce.diagnostic}".strip()
    evidence = [EvidenceItem("bounce", "message/rfc822", bounce.raw)]
    delivery_id = bounce.delivery_id
    if delivery_id is None and bounce.original_message_id:
        # The stable message id of a delivery is "<uuid>@fakturaport"; the email's Message-ID keeps the uuid.
        found = await ledger.delivery_by_message_id(f"{bounce.original_message_id}@fakturaport")
        delivery_id = found["id"] if found else None
    if delivery_id is None:
        log.warning(
            "bounce for an unknown message", extra={"message_id": bounce.original_message_id}
        )
        return False
    recorded = await ledger.signal_failure(delivery_id, reason[:500], now(), evidence)
    log.warning(
        "email bounced",
        extra={"delivery_id": delivery_id, "status": bounce.status, "recorded": recorded},
    )
    return recorded


async def import_acknowledgements(ledger: Ledger, files: list[tuple[str, bytes]]) -> dict[str, int]:
    counts = {"confirmed": 0, "failed": 0, "unknown": 0}
    for name, content in files:
        for ack in parse_acknowledgements(content):
            delivery = await ledger.delivery_by_message_id(ack.message_id)
            if delivery is None:
                counts["unknown"] += 1
                log.warning(
                    "acknowledgement for an unknown message",
                    extra={"message_id": ack.message_id, "file": name},
                )
                continue
            evidence = [EvidenceItem("acknowledgement", "text/csv", ack.raw)]
            if ack.accepted:
                counts["confirmed"] += await ledger.confirm_delivered(
                    delivery["id"], now(), evidence
                )
            else:
                counts["failed"] += await ledger.signal_failure(
                    delivery["id"], f"rejected by provider: {ack.reason}", now(), evidence
                )
    return counts


async def poll_acknowledgements(
    ledger: Ledger, channels: Mapping[str, Any], interval: float = 60.0
) -> None:
    while True:
        for name, channel in channels.items():
            collect = getattr(channel, "collect_acknowledgements", None)
            if collect is None:
                continue
            try:
                files = await collect()
                if files:
                    log.info(
                        "acknowledgements imported",
                        extra={"channel": name, **await import_acknowledgements(ledger, files)},
                    )
            except Exception:
                log.exception("collecting acknowledgements failed", extra={"channel": name})
        await asyncio.sleep(interval)


async def poll_bounce_mailbox(ledger: Ledger, config: Mapping[str, Any]) -> None:
    """Bounces from an IMAP mailbox (``[channels.email.imap]``), every ``poll_seconds``."""
    from channels.email_bounces import parse_bounce
    from channels.email_imap import ImapSettings, poll_once

    settings = ImapSettings.from_config(config)

    async def on_message(raw: bytes) -> bool:
        bounce = parse_bounce(raw)
        return bounce is not None and bounce.permanent and await record_bounce(ledger, bounce)

    while True:
        try:
            recorded = await poll_once(settings, on_message)
            if recorded:
                log.info(
                    "bounces collected from the mailbox",
                    extra={"recorded": recorded, "host": settings.host},
                )
        except Exception:
            log.exception("polling the bounce mailbox failed", extra={"host": settings.host})
        await asyncio.sleep(settings.poll_seconds)


async def start_bounce_receiver(ledger: Ledger, listen: str) -> asyncio.AbstractServer:
    """An SMTP listener for the bounce domain on this event loop."""
    from aiosmtpd.smtp import SMTP

    host, _, port = listen.rpartition(":")

    async def on_bounce(bounce: Bounce) -> None:
        await record_bounce(ledger, bounce)

    handler = BounceReceiver(on_bounce)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), host or "127.0.0.1", int(port)
    )


async def stop(server: asyncio.AbstractServer | None) -> None:
    if server is not None:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
