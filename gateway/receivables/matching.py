"""Payment matching: payments in, open items out — by reference first, then amount and customer.

Pure and fast: items are indexed once (by normalised reference, and by customer + amount), so a
file of 100,000 payments against a million open items is matched in one pass. A payment whose
reference points at an item settles it (fully, partly, or with an overpayment that is kept as
unapplied credit); without a usable reference, a payment equal to exactly one open item of the
same customer settles it; anything else is left unmatched for a person to assign.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .references import normalise


class MatchKind(StrEnum):
    REFERENCE = "reference"  #: the payment's reference named the item
    AMOUNT = "amount_and_customer"  #: no usable reference; amount and payer identified it
    UNMATCHED = "unmatched"  #: needs a person


@dataclass(slots=True)
class OpenItem:
    id: str
    reference: str | None
    customer: str | None  #: payer identity as payments carry it (org number, name, account)
    currency: str
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class IncomingPayment:
    id: str  #: the bank's unique id for the payment (idempotency)
    amount: Decimal
    currency: str
    reference: str | None
    payer: str | None


@dataclass(frozen=True, slots=True)
class Match:
    payment_id: str
    kind: MatchKind
    item_id: str | None = None
    applied: Decimal = Decimal(0)
    remaining_open: Decimal = Decimal(0)  #: what is still open on the item afterwards
    unapplied: Decimal = Decimal(0)  #: overpayment left over


@dataclass
class Matcher:
    items: dict[str, OpenItem] = field(default_factory=dict)
    by_reference: dict[str, str] = field(default_factory=dict)
    by_customer_amount: dict[tuple[str, str, Decimal], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def of(cls, items: Iterable[OpenItem]) -> Matcher:
        m = cls()
        for item in items:
            m.items[item.id] = item
            if item.reference:
                m.by_reference[normalise(item.reference)] = item.id
            if item.customer:
                m.by_customer_amount[(item.customer, item.currency, item.open_amount)].append(
                    item.id
                )
        return m

    def match(self, payment: IncomingPayment) -> Match:
        item_id = self.by_reference.get(normalise(payment.reference)) if payment.reference else None
        kind = MatchKind.REFERENCE
        if item_id is not None and (
            self.items[item_id].currency != payment.currency or self.items[item_id].open_amount <= 0
        ):
            item_id = None
        if item_id is None and payment.payer:
            candidates = [
                i
                for i in self.by_customer_amount.get(
                    (payment.payer, payment.currency, payment.amount), ()
                )
                if self.items[i].open_amount == payment.amount
            ]
            if len(candidates) == 1:
                item_id, kind = candidates[0], MatchKind.AMOUNT
        if item_id is None:
            return Match(payment.id, MatchKind.UNMATCHED, unapplied=payment.amount)
        return self._apply(payment, item_id, kind)

    def _apply(self, payment: IncomingPayment, item_id: str, kind: MatchKind) -> Match:
        item = self.items[item_id]
        before = item.open_amount
        applied = min(payment.amount, before)
        item.open_amount = before - applied
        key = (item.customer, item.currency, before)
        if item.customer and item_id in self.by_customer_amount.get(key, ()):
            self.by_customer_amount[key].remove(item_id)
            if item.open_amount > 0:
                self.by_customer_amount[(item.customer, item.currency, item.open_amount)].append(
                    item_id
                )
        return Match(payment.id, kind, item_id, applied, item.open_amount, payment.amount - applied)

    def match_all(self, payments: Iterable[IncomingPayment]) -> list[Match]:
        return [self.match(p) for p in payments]
