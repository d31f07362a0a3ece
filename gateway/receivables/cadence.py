"""Reminder cadences per customer profile: when each reminder is due after the due date.

At least three reminders before formal notice (the collection hand-over); a payment that arrives
before a reminder goes out stops it, because reminders are computed from the open amount at the
time they are due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .interest import CustomerType


@dataclass(frozen=True, slots=True)
class Step:
    days_after_due: int
    kind: str  #: "friendly", "reminder", "final_notice", "collection"


CADENCES: dict[CustomerType, tuple[Step, ...]] = {
    CustomerType.CONSUMER: (
        Step(5, "friendly"),
        Step(15, "reminder"),
        Step(30, "final_notice"),
        Step(45, "collection"),
    ),
    CustomerType.COMPANY: (
        Step(3, "friendly"),
        Step(14, "reminder"),
        Step(28, "final_notice"),
        Step(40, "collection"),
    ),
    CustomerType.PUBLIC: (
        Step(7, "friendly"),
        Step(21, "reminder"),
        Step(35, "final_notice"),
        Step(50, "collection"),
    ),
}


def next_step(
    customer: CustomerType, due: date, sent: int, today: date, open_amount: Decimal
) -> Step | None:
    """The reminder due today for an item that already had ``sent`` reminders, if any."""
    if open_amount <= 0:
        return None  # paid (or credited): nothing more goes out
    steps = CADENCES[customer]
    if sent >= len(steps):
        return None
    step = steps[sent]
    return step if today >= due + timedelta(days=step.days_after_due) else None
