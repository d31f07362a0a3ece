"""What a reminder says: the open amount, interest to date, statutory compensation and an agreed
fee, each with its basis — computed exactly (Decimal) from the open item and the cadence step.

Pure: the reminder job supplies the item, the step and the day; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from formats.reminder_pdf import InterestLine, ReminderNotice

from .cadence import Step
from .interest import (
    CENT,
    CustomerType,
    FeeRules,
    RateMissing,
    compensation,
    late_interest,
    reminder_fee,
)


@dataclass(frozen=True, slots=True)
class ReminderTerms:
    """The tenant's side of the rules: whether a reminder fee was agreed, how long to pay."""

    fee_agreed: bool = False
    fee_amount: Decimal | None = None  #: capped at the statutory 60 kr
    pay_within_days: int = 10
    rules: FeeRules = field(default_factory=FeeRules)


def compose(
    item: Mapping[str, Any],
    step: Step,
    level: int,
    today: date,
    terms: ReminderTerms = ReminderTerms(),
    payment: tuple[tuple[str, str], ...] = (),
) -> ReminderNotice:
    customer = CustomerType(item["customer_type"])
    due = date.fromisoformat(item["due_date"])
    open_amount = Decimal(item["open_amount"])
    comp = compensation(customer, bool(item["compensation_charged"]), terms.rules)
    fee = reminder_fee(terms.fee_agreed, terms.fee_amount, terms.rules)
    try:
        interest = late_interest(open_amount, due, today)
    except RateMissing:
        amount, lines = None, ()  # said on the reminder and recorded; never guessed
    else:
        amount = interest.amount
        lines = tuple(
            InterestLine(p.start, p.end, p.days, p.rate, p.amount.quantize(CENT))
            for p in interest.parts
        )
    recipient = item.get("recipient") or {}
    return ReminderNotice(
        kind=step.kind,
        level=level,
        on_date=today,
        pay_by=today + timedelta(days=terms.pay_within_days),
        seller_name=item.get("seller_name") or "",
        buyer_name=recipient.get("name") or item.get("buyer_name") or "",
        buyer_postal=recipient.get("postal"),
        invoice_number=item.get("number") or item["invoice_id"][:8],
        invoice_due=due,
        currency=item["currency"],
        open_amount=open_amount,
        compensation=comp,
        fee=fee,
        interest=amount,
        interest_lines=lines,
        total=open_amount + comp + fee + (amount or Decimal(0)),
        reference=item.get("reference"),
        payment=payment,
        language=recipient.get("language") or "en",
    )


def basis(notice: ReminderNotice) -> dict[str, Any]:
    """The basis as stored with the reminder and handed to a collection agency."""
    return {
        "interest_parts": [
            {
                "from": p.start.isoformat(),
                "to": p.end.isoformat(),
                "days": p.days,
                "rate": str(p.rate),
                "amount": str(p.amount),
            }
            for p in notice.interest_lines
        ],
        "interest_missing": notice.interest is None,
        "pay_by": notice.pay_by.isoformat(),
        "language": notice.language,
    }
