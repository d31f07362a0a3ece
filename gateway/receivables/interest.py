"""Late-payment interest and statutory fees, exactly, in Decimal.

Sweden (räntelag 1975:635, 6 §): dröjsmålsränta = the reference rate of each calendar half-year
+ 8 percentage points, unless the invoice states another rate; it runs from the day after the due
date. Computed day by day in the half-year it falls in, on an actual/365 basis, and rounded once
to öre at the end. The reference rates are data (``data/se_reference_rates.csv``); a period the
table does not cover is an error, never a guess.

Fees (lag 1981:739): förseningsersättning 450 kr once per invoice, only business-to-business and
business-to-public-body (never consumers, 4 a §); a reminder fee of at most 60 kr, only where it
was agreed (2 §, 4 §). Norwegian equivalents are settings.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from importlib import resources

CENT = Decimal("0.01")


class CustomerType(StrEnum):
    CONSUMER = "consumer"  #: a private person: no förseningsersättning
    COMPANY = "company"  #: business-to-business
    PUBLIC = "public"  #: a public body (business-to-government)


class RateMissing(LookupError):
    """No reference rate is known for a period the interest covers."""


@cache
def reference_rates() -> tuple[tuple[date, Decimal], ...]:
    text = resources.files(__package__).joinpath("data/se_reference_rates.csv").read_text("utf-8")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(
        sorted(
            (date.fromisoformat(r["valid_from"]), Decimal(r["rate"])) for r in csv.DictReader(rows)
        )
    )


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def reference_rate(day: date, rates: tuple[tuple[date, Decimal], ...] | None = None) -> Decimal:
    start = half_year_start(day)
    for valid_from, rate in rates or reference_rates():
        if valid_from == start:
            return rate
    raise RateMissing(
        f"no Riksbank reference rate is recorded for the half-year starting {start}; add it to the rate table"
    )


@dataclass(frozen=True, slots=True)
class InterestPart:
    start: date  #: first day with interest (inclusive)
    end: date  #: last day with interest (inclusive)
    days: int
    rate: Decimal  #: percent per year
    amount: Decimal  #: unrounded


@dataclass(frozen=True, slots=True)
class Interest:
    amount: Decimal  #: rounded to öre
    parts: tuple[InterestPart, ...]  #: the basis, one part per half-year (shown on the reminder)


def late_interest(
    principal: Decimal,
    due: date,
    until: date,
    *,
    agreed_rate: Decimal | None = None,
    margin: Decimal = Decimal("8"),
    rates: tuple[tuple[date, Decimal], ...] | None = None,
) -> Interest:
    """Interest on ``principal`` from the day after ``due`` up to and including ``until``."""
    parts = []
    day = due + timedelta(days=1)
    while day <= until:
        half_end = date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)
        end = min(half_end, until)
        days = (end - day).days + 1
        rate = agreed_rate if agreed_rate is not None else reference_rate(day, rates) + margin
        parts.append(InterestPart(day, end, days, rate, principal * rate / 100 * days / 365))
        day = end + timedelta(days=1)
    total = sum((p.amount for p in parts), Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Interest(total, tuple(parts))


@dataclass(frozen=True, slots=True)
class FeeRules:
    """Statutory amounts (Sweden by default; Norway and others by settings)."""

    compensation: Decimal = Decimal("450")  #: förseningsersättning, B2B/B2G, once per invoice
    reminder_fee: Decimal = Decimal("60")  #: the statutory cap for a written reminder
    compensation_for_consumers: bool = False


def compensation(
    customer: CustomerType, already_charged: bool, rules: FeeRules = FeeRules()
) -> Decimal:
    """Förseningsersättning due now (zero for consumers, or when it was charged before)."""
    if already_charged or (
        customer is CustomerType.CONSUMER and not rules.compensation_for_consumers
    ):
        return Decimal(0)
    return rules.compensation


def reminder_fee(
    agreed: bool, agreed_amount: Decimal | None = None, rules: FeeRules = FeeRules()
) -> Decimal:
    """The reminder fee: only when agreed, and never above the statutory cap."""
    if not agreed:
        return Decimal(0)
    return min(
        agreed_amount if agreed_amount is not None else rules.reminder_fee, rules.reminder_fee
    )
