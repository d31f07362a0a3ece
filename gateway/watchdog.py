"""The watchdog: every delivery not terminal within its channel's SLA is flagged overdue once,
with an event (and so a webhook) — the visible alternative to an invoice silently going missing."""

from __future__ import annotations

import asyncio
import logging

from .ledger import Ledger, now
from .settings import Settings

log = logging.getLogger("fakturaport.watchdog")


async def sweep(ledger: Ledger, settings: Settings) -> int:
    sla = {name: settings.policy(name).sla_seconds for name in settings.channels}
    default = settings.policy("").sla_seconds
    flagged = 0
    for item in await ledger.overdue(now(), sla, default):
        if await ledger.flag_overdue(item, now()):
            flagged += 1
            log.warning(
                "invoice overdue",
                extra={"invoice_id": item["invoice_id"], "channel": item["channel"]},
            )
    return flagged


async def run(ledger: Ledger, settings: Settings, interval: float = 30.0) -> None:
    while True:
        try:
            await sweep(ledger, settings)
        except Exception:
            log.exception("watchdog sweep failed")
        await asyncio.sleep(interval)
