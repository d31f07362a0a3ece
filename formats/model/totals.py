"""Fill in what a caller may leave out: line net amounts, allowance amounts, VAT breakdown, totals.

Per EN 16931: line net amount (BT-131) = quantity × net price / base quantity + line charges −
line allowances; the VAT breakdown groups lines and document allowances/charges by (category,
rate); totals follow BR-CO-10…BR-CO-16. Amounts the caller gave are kept as given, so that the
validator can check them (BR-CO-*), never silently "corrected".
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from .invoice import Invoice, Totals
from .lines import AllowanceCharge, Line
from .rounding import ZERO, money, percent_of
from .tax import VatBreakdown, VatCategory

VatKey = tuple[str, Decimal | None]


def complete(invoice: Invoice) -> Invoice:
    """Return the invoice with every derivable amount filled in (given amounts are kept)."""
    last = getattr(_last_completed, "parts", None)
    if last is not None and all(a is b for a, b in zip(_parts(invoice), last, strict=True)):
        return invoice
    completed = _complete(invoice)
    _last_completed.parts = _parts(completed)
    return completed


def _parts(invoice: Invoice) -> tuple:
    """What completion reads: the same four objects complete to themselves again."""
    return (invoice.lines, invoice.allowances_charges, invoice.vat_breakdown, invoice.totals)


#: The parts of the last invoice completed on this thread. An invoice made from it by changing
#: anything else (its payment reference, its specification identifier: what intake does between
#: completing an invoice and writing it) is complete as it stands, and the writers complete
#: every invoice they are given. Holding the parts keeps their identities from being reused.
_last_completed = threading.local()


def _complete(invoice: Invoice) -> Invoice:
    lines = _each(_complete_line, invoice.lines)
    charges = _each(_complete_allowance_charge, invoice.allowances_charges)
    if lines is not invoice.lines or charges is not invoice.allowances_charges:
        invoice = replace(invoice, lines=lines, allowances_charges=charges)
    if not invoice.vat_breakdown:
        invoice = replace(invoice, vat_breakdown=vat_breakdown(invoice))
    totals = _complete_totals(invoice)
    return invoice if totals == invoice.totals else replace(invoice, totals=totals)


def _each(complete_one, items: tuple) -> tuple:
    """``items`` completed; the same tuple when nothing changed (the common case on a second
    pass, as when a completed invoice is written), which saves copying every line."""
    done = tuple(complete_one(item) for item in items)
    return items if all(a is b for a, b in zip(done, items, strict=True)) else done


def _complete_allowance_charge(ac: AllowanceCharge) -> AllowanceCharge:
    if ac.amount is None and ac.base_amount is not None and ac.percentage is not None:
        return replace(ac, amount=percent_of(ac.base_amount, ac.percentage))
    return ac


def _complete_line(line: Line) -> Line:
    charges = _each(_complete_allowance_charge, line.allowances_charges)
    if charges is not line.allowances_charges:
        line = replace(line, allowances_charges=charges)
    if line.net_amount is not None:
        return line
    if line.quantity is None or line.price is None or line.price.net is None:
        return line
    base_quantity = line.price.base_quantity or Decimal(1)
    gross = line.quantity * line.price.net / base_quantity
    return replace(line, net_amount=money(gross + _signed_sum(charges)))


def _signed_sum(items: Iterable[AllowanceCharge]) -> Decimal:
    """Charges minus allowances."""
    total = ZERO
    for ac in items:
        if ac.amount is not None:
            total += ac.amount if ac.is_charge else -ac.amount
    return total


def _key(category: str | None, rate: Decimal | None) -> VatKey:
    # Rates 25 and 25.00 are the same rate: normalise so they group together.
    return (category or "", rate.normalize() if rate is not None else None)


def vat_breakdown(invoice: Invoice) -> tuple[VatBreakdown, ...]:
    """The VAT breakdown (BG-23) derived from lines and document allowances/charges."""
    taxable: dict[VatKey, Decimal] = {}
    rates: dict[VatKey, Decimal | None] = {}
    for line in invoice.lines:
        if line.item is None or line.net_amount is None:
            continue
        key = _key(line.item.vat_category, line.item.vat_rate)
        taxable[key] = taxable.get(key, ZERO) + line.net_amount
        rates.setdefault(key, line.item.vat_rate)
    for ac in invoice.allowances_charges:
        if ac.amount is None:
            continue
        key = _key(ac.vat_category, ac.vat_rate)
        taxable[key] = taxable.get(key, ZERO) + (ac.amount if ac.is_charge else -ac.amount)
        rates.setdefault(key, ac.vat_rate)
    rows = []
    for key, base in taxable.items():
        category, _ = key
        rate = rates[key]
        rows.append(
            VatBreakdown(
                taxable_amount=money(base),
                tax_amount=_tax(category, rate, base),
                category=category or None,
                rate=rate,
                exemption_reason_code=_default_exemption(category),
            )
        )
    return tuple(rows)


def _tax(category: str, rate: Decimal | None, base: Decimal) -> Decimal:
    if category in {c.value for c in VatCategory if c.carries_tax} and rate is not None:
        return percent_of(money(base), rate)
    return money(ZERO)


def _default_exemption(category: str) -> str | None:
    try:
        return VatCategory(category).default_exemption_code
    except ValueError:
        return None


def _complete_totals(invoice: Invoice) -> Totals:
    given = invoice.totals or Totals()
    line_total = money(sum((ln.net_amount or ZERO for ln in invoice.lines), ZERO))
    allowances = [ac.amount for ac in invoice.allowances_charges if not ac.is_charge and ac.amount]
    charges = [ac.amount for ac in invoice.allowances_charges if ac.is_charge and ac.amount]
    allowance_total = money(sum(allowances, ZERO)) if allowances else None
    charge_total = money(sum(charges, ZERO)) if charges else None

    line_net_total = _given(given.line_net_total, line_total)
    allowance_total = _given(given.allowance_total, allowance_total)
    charge_total = _given(given.charge_total, charge_total)
    tax_exclusive = _given(
        given.tax_exclusive,
        line_net_total - (allowance_total or ZERO) + (charge_total or ZERO),
    )
    vat_total = _given(
        given.vat_total,
        money(sum((row.tax_amount or ZERO for row in invoice.vat_breakdown), ZERO)),
    )
    tax_inclusive = _given(given.tax_inclusive, tax_exclusive + vat_total)
    payable = _given(
        given.payable, tax_inclusive - (given.prepaid or ZERO) + (given.rounding or ZERO)
    )
    return replace(
        given,
        line_net_total=line_net_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=tax_exclusive,
        vat_total=vat_total,
        tax_inclusive=tax_inclusive,
        payable=payable,
    )


def _given(given: Decimal | None, computed: Decimal) -> Decimal:
    return computed if given is None else given
