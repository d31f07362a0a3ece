"""The reminder job: for every open item the cadence says is due today, issue the reminder —
render its PDF once, store it, and queue it on the customer's channel (email or print) for the
worker, which delivers it with receipts like an invoice.

Idempotent: each level is issued once per item (the ledger guards the counter and the unique
level), so running the job twice the same day sends nothing twice. A payment matched before
the job runs means the item is not due; one matched after the job but before the worker sends
withdraws the queued reminder. The collection step is not a letter: it only makes the item
eligible for the hand-over (``POST /v1/receivables/{id}/collection``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from datetime import date
from decimal import Decimal
from typing import Any

from formats.reminder_pdf import render_reminder_pdf

from ..ledger import Ledger
from ..ledger.reminders import NewReminder
from ..settings import Settings
from .cadence import next_step
from .interest import CustomerType
from .notice import ReminderTerms, basis, compose

log = logging.getLogger("fakturaport.reminders")

#: Channel types that carry a reminder letter, and what they need to know of the recipient.
LETTER_CHANNELS = {"email": "email", "print": "postal"}


def reminder_plan(item: Mapping[str, Any], channel_types: Mapping[str, str]) -> tuple[str, ...]:
    """Email or print channels that can reach the customer: the invoice's own first, in its order."""
    recipient = item.get("recipient") or {}

    def usable(name: str) -> bool:
        need = LETTER_CHANNELS.get(channel_types.get(name, ""))
        return need is not None and bool(recipient.get(need))

    ordered = [n for n in item.get("plan") or () if n in channel_types and usable(n)]
    ordered += sorted(n for n in channel_types if usable(n) and n not in ordered)
    return tuple(ordered)


def terms_of(settings: Settings) -> ReminderTerms:
    r = settings.receivables
    return ReminderTerms(
        fee_agreed=r.reminder_fee_agreed,
        fee_amount=Decimal(r.reminder_fee),
        pay_within_days=r.pay_within_days,
    )


async def _payment_lines(ledger: Ledger, tenant_id: str, item: Mapping[str, Any]):
    """Bankgiro, IBAN … as the invoice itself printed them (read back from its stored UBL)."""
    from formats.convert import read_any
    from formats.pdf import payment_lines
    from formats.pdf_labels import LABELS

    doc = await ledger.document(tenant_id, item["invoice_id"], "ubl")
    if doc is None:
        return ()
    try:
        invoice = read_any(doc["content"]).invoice
    except Exception:  # an unreadable stored document only costs the account lines
        log.warning("stored UBL unreadable", extra={"invoice_id": item["invoice_id"]})
        return ()
    language = (item.get("recipient") or {}).get("language") or "en"
    labels = LABELS.get(language, LABELS["en"])
    return tuple(
        (label, value)
        for label, value in payment_lines(invoice, labels)
        if label != labels["reference"]  # the reminder shows the reference itself
    )


async def run(
    ledger: Ledger,
    settings: Settings,
    channel_types: Mapping[str, str],
    tenant_id: str,
    today: date,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Issue what is due today for one tenant; the counts say what happened to each item."""
    counts: dict[str, Any] = {
        "date": today.isoformat(),
        "issued": 0,
        "not_due": 0,
        "already_issued": 0,
        "ready_for_collection": 0,
        "no_channel": 0,
        "reminders": [],
    }
    terms = terms_of(settings)
    loop = asyncio.get_running_loop()
    for item in await ledger.remindable_items(tenant_id):
        if not item["due_date"]:
            counts["not_due"] += 1
            continue
        step = next_step(
            CustomerType(item["customer_type"]),
            date.fromisoformat(item["due_date"]),
            item["reminders_sent"],
            today,
            Decimal(item["open_amount"]),
        )
        if step is None:
            counts["not_due"] += 1
            continue
        if step.kind == "collection":
            counts["ready_for_collection"] += 1
            continue
        plan = reminder_plan(item, channel_types)
        if not plan:
            counts["no_channel"] += 1
            log.warning(
                "no email or print channel reaches the customer; reminder not issued",
                extra={"invoice_id": item["invoice_id"], "tenant_id": tenant_id},
            )
            continue
        level = item["reminders_sent"] + 1
        notice = compose(
            item, step, level, today, terms, await _payment_lines(ledger, tenant_id, item)
        )
        pdf = await loop.run_in_executor(executor, render_reminder_pdf, notice)
        reminder_id = await ledger.issue_reminder(
            NewReminder(
                tenant_id=tenant_id,
                invoice_id=item["invoice_id"],
                level=level,
                kind=step.kind,
                on_date=today.isoformat(),
                currency=notice.currency,
                open_amount=str(notice.open_amount),
                compensation=str(notice.compensation),
                fee=str(notice.fee),
                interest=None if notice.interest is None else str(notice.interest),
                total=str(notice.total),
                plan=plan,
                pdf=pdf,
                basis=basis(notice),
            )
        )
        if reminder_id is None:  # a concurrent run or a payment got there first
            counts["already_issued"] += 1
            continue
        counts["issued"] += 1
        counts["reminders"].append(
            {
                "invoice_id": item["invoice_id"],
                "reminder_id": reminder_id,
                "level": level,
                "kind": step.kind,
                "total": str(notice.total),
                "channel": plan[0],
            }
        )
        log.info(
            "reminder issued",
            extra={
                "invoice_id": item["invoice_id"],
                "level": level,
                "kind": step.kind,
                "channel": plan[0],
                "tenant_id": tenant_id,
            },
        )
    return counts


async def run_all(
    ledger: Ledger,
    settings: Settings,
    channel_types: Mapping[str, str],
    today: date,
    executor: Executor | None = None,
    tenants: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    return {
        tenant: await run(ledger, settings, channel_types, tenant, today, executor)
        for tenant in (tenants if tenants is not None else await ledger.tenant_ids())
    }


async def run_periodically(
    ledger: Ledger, settings: Settings, channel_types: Mapping[str, str], executor: Executor | None
) -> None:
    """The server's own schedule (``receivables.reminders_every_seconds``); safe to repeat."""
    from ..ledger import now

    while True:
        try:
            await run_all(ledger, settings, channel_types, now().date(), executor)
        except Exception:
            log.exception("reminder run failed")
        await asyncio.sleep(settings.receivables.reminders_every_seconds)
