"""Collection hand-over: when an item may go to a debt collection agency, and the case file.

Eligible once the final notice of the customer's cadence went out and its grace period (the
cadence's collection step) has passed. The case file carries what an agency asks for: debtor,
invoice, principal, fees and interest to the hand-over day with their basis, and the history
of reminders with the delivery receipts that prove each one was sent. JSON for systems, CSV
(one row per reminder delivery, debtor and amounts repeated) for spreadsheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .cadence import CADENCES
from .interest import CustomerType, RateMissing, late_interest


class NotEligible(ValueError):
    """The item cannot be handed over yet; the message says what is missing."""


def check_eligible(item: Mapping[str, Any], today: date) -> None:
    if item["state"] not in ("open", "partly_paid", "in_reminder"):
        raise NotEligible(f"the item is {item['state']}, not open")
    steps = CADENCES[CustomerType(item["customer_type"])]
    letters = [s for s in steps if s.kind != "collection"]
    if item["reminders_sent"] < len(letters):
        raise NotEligible(
            f"{item['reminders_sent']} of {len(letters)} reminders sent; the final notice comes first"
        )
    grace = next(s for s in steps if s.kind == "collection").days_after_due
    ready = date.fromisoformat(item["due_date"]) + timedelta(days=grace)
    if today < ready:
        raise NotEligible(f"the final notice's grace period runs until {ready.isoformat()}")


def case_file(
    item: Mapping[str, Any],
    invoice: Mapping[str, Any],
    reminders: Sequence[Mapping[str, Any]],
    today: date,
) -> dict[str, Any]:
    open_amount = Decimal(item["open_amount"])
    compensation = sum(
        (Decimal(r["compensation"]) for r in reminders if r["status"] != "cancelled"), Decimal(0)
    )
    fees = sum((Decimal(r["fee"]) for r in reminders if r["status"] != "cancelled"), Decimal(0))
    try:
        interest = late_interest(open_amount, date.fromisoformat(item["due_date"]), today)
        interest_amount: str | None = str(interest.amount)
        parts = [
            {
                "from": p.start.isoformat(),
                "to": p.end.isoformat(),
                "days": p.days,
                "rate": str(p.rate),
            }
            for p in interest.parts
        ]
    except RateMissing as exc:
        interest_amount, parts = None, [{"missing": str(exc)}]
    recipient = invoice.get("recipient") or {}
    return {
        "case_date": today.isoformat(),
        "debtor": {
            "name": recipient.get("name") or invoice.get("buyer_name"),
            "identifier": item.get("customer"),
            "customer_type": item["customer_type"],
            "email": recipient.get("email"),
            "postal": recipient.get("postal"),
            "peppol_id": recipient.get("peppol_id"),
        },
        "creditor": {"name": invoice.get("seller_name")},
        "invoice": {
            "id": item["invoice_id"],
            "number": invoice.get("number"),
            "issued": invoice["created_at"].date().isoformat(),
            "due_date": item["due_date"],
            "currency": item["currency"],
            "amount": item["amount"],
            "reference": item.get("reference"),
        },
        "amounts": {
            "principal_open": str(open_amount),
            "compensation": str(compensation),
            "reminder_fees": str(fees),
            "interest_to_date": interest_amount,
            "interest_basis": parts,
            "total": str(open_amount + compensation + fees + Decimal(interest_amount or 0)),
        },
        "reminders": [
            {
                "level": r["level"],
                "kind": r["kind"],
                "date": r["on_date"],
                "total": r["total"],
                "status": r["status"],
                "deliveries": [
                    {
                        **d,
                        "receipts": [
                            {
                                **e,
                                "at": e["at"].isoformat()
                                if hasattr(e["at"], "isoformat")
                                else e["at"],
                            }
                            for e in d["receipts"]
                        ],
                    }
                    for d in r["deliveries"]
                ],
            }
            for r in reminders
        ],
    }


CSV_FIELDS = (
    "invoice_number",
    "debtor_name",
    "debtor_identifier",
    "currency",
    "principal_open",
    "compensation",
    "reminder_fees",
    "interest_to_date",
    "total",
    "due_date",
    "reminder_level",
    "reminder_kind",
    "reminder_date",
    "reminder_status",
    "channel",
    "delivery_status",
    "remote_id",
    "receipts",
)


def case_csv(case: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, delimiter=";")
    writer.writeheader()
    amounts, debtor, invoice = case["amounts"], case["debtor"], case["invoice"]
    common = {
        "invoice_number": invoice["number"],
        "debtor_name": debtor["name"],
        "debtor_identifier": debtor["identifier"],
        "currency": invoice["currency"],
        "principal_open": amounts["principal_open"],
        "compensation": amounts["compensation"],
        "reminder_fees": amounts["reminder_fees"],
        "interest_to_date": amounts["interest_to_date"] or "",
        "total": amounts["total"],
        "due_date": invoice["due_date"],
    }
    for r in case["reminders"]:
        for d in r["deliveries"] or [{}]:
            writer.writerow(
                {
                    **common,
                    "reminder_level": r["level"],
                    "reminder_kind": r["kind"],
                    "reminder_date": r["date"],
                    "reminder_status": r["status"],
                    "channel": d.get("channel", ""),
                    "delivery_status": d.get("status", ""),
                    "remote_id": d.get("remote_id") or "",
                    "receipts": " ".join(
                        f"{e['kind']}:{e['sha256'][:16]}" for e in d.get("receipts", ())
                    ),
                }
            )
    return out.getvalue()
