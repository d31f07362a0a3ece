"""Sending the Message Level Status we owe for received documents, over Peppol like any
transmission, with retries: decided MLS go out, and documents nobody acknowledged in time get
AB (accepted, no confirmation) where the sender asked for a positive MLS."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from channels import PermanentDeliveryError, TransientDeliveryError
from formats.peppol import mls

from .ledger import Ledger, now

log = logging.getLogger("fakturaport.mls")
MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)


def _backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempt - 1), 3600))


async def send_due(ledger: Ledger, channel, when: datetime | None = None) -> int:
    """One round: time out unacknowledged documents, then send what is due; returns MLS sent."""
    when = when or now()
    await ledger.mls_acknowledgement_timeouts(when)
    sent = 0
    for row in await ledger.claim_mls(when, LEASE):
        document = mls.write(
            mls.Mls(
                id=row["id"],
                issued=when,
                sender=channel.spis,
                receiver=row["mls_to"],
                code=row["code"],
                reference=row["reference"],
                description=row["description"],
                issues=tuple(mls.Issue(**issue) for issue in row["issues"] or ()),
            )
        )
        try:
            await channel.transmit(
                document,
                sender=channel.spis,
                receiver=row["mls_to"],
                document_type=mls.DOCUMENT_TYPE,
                process=mls.PROCESS,
                message_id=row["message_id"],
                country_c1=channel.country_c1,
            )
        except TransientDeliveryError as exc:
            give_up = row["attempts"] >= MAX_ATTEMPTS
            await ledger.mls_not_sent(
                row, str(exc), None if give_up else when + _backoff(row["attempts"])
            )
            log.warning(
                "MLS not sent",
                extra={"inbox_id": row["inbox_id"], "error": str(exc), "final": give_up},
            )
        except PermanentDeliveryError as exc:
            await ledger.mls_not_sent(row, str(exc), None)
            log.error(
                "MLS cannot be sent",
                extra={"inbox_id": row["inbox_id"], "to": row["mls_to"], "error": str(exc)},
            )
        else:
            await ledger.mls_sent(row, now())
            sent += 1
            log.info(
                "MLS sent",
                extra={"inbox_id": row["inbox_id"], "code": row["code"], "to": row["mls_to"]},
            )
    return sent


async def run(ledger: Ledger, channel, interval: float = 5.0) -> None:
    while True:
        try:
            await send_due(ledger, channel)
        except Exception:
            log.exception("MLS round failed")
        await asyncio.sleep(interval)
