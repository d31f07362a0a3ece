"""Small helpers the rule modules share: registration, presence, decimals, tolerant arithmetic."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_FLOOR, Decimal
from typing import Generic, TypeVar

from . import Flag, Rule, XmlRule

FATAL, WARNING = Flag.FATAL, Flag.WARNING
TWO = Decimal("0.01")
Context = Callable[..., bool]
T = TypeVar("T")


class Registry:
    """Collects a module's rules: ``@reg.rule("BR-01", "message")`` on a generator function.

    ``context`` (for the module) or ``with reg.within(context):`` (for a group) says where the
    rules can fire at all; it must be false only where none of them would fire.
    """

    def __init__(self, context: Context | None = None) -> None:
        self.rules: list[Rule] = []
        self.xml_rules: list[XmlRule] = []
        self._context = context

    @contextlib.contextmanager
    def within(self, context: Context) -> Iterator[None]:
        outer = self._context
        self._context = context
        try:
            yield
        finally:
            self._context = outer

    def rule(self, rule_id: str, message: str, flag: Flag = FATAL) -> Callable:
        def register(fn: Callable[..., Iterable[str]]) -> Callable[..., Iterable[str]]:
            self.rules.append(
                Rule(rule_id, flag, f"[{rule_id}]-{message}", fn, context=self._context)
            )
            return fn

        return register

    def xml(self, rule_id: str, message: str, flag: Flag = FATAL) -> Callable:
        def register(fn: Callable[..., Iterable[str]]) -> Callable[..., Iterable[str]]:
            self.xml_rules.append(XmlRule(rule_id, flag, f"[{rule_id}]-{message}", fn))
            return fn

        return register


class PerInvoice(Generic[T]):
    """A fact derived from the invoice that several rules use, computed once per invoice: the
    value for the last invoice asked about (per thread) is kept with that invoice. The model is
    frozen, so the invoice object stands for its content; holding it keeps its identity from
    being reused by another invoice."""

    def __init__(self, compute: Callable[..., T]) -> None:
        self._compute = compute
        self._last = threading.local()

    def __call__(self, invoice: object) -> T:
        last = self._last
        if getattr(last, "invoice", None) is invoice:
            return last.value
        value = self._compute(invoice)
        last.invoice, last.value = invoice, value
        return value


def blank(value: object) -> bool:
    """Absent or only whitespace (XPath ``normalize-space(x) = ''``)."""
    return value is None or (isinstance(value, str) and not value.strip())


def decimals(value: Decimal | None) -> int:
    """Digits after the decimal point as written (``10.500`` → 3)."""
    if value is None:
        return 0
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def round2(value: Decimal) -> Decimal:
    """XPath ``round(x * 100) div 100``: XPath rounds halves towards positive infinity."""
    return (value * 100 + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR) / 100


def _expected_tax_amounts(invoice) -> tuple[Decimal | None, ...]:
    """Per VAT breakdown row, its taxable amount × rate / 100 as the rules round it (BR-CO-17 and
    BR-<category>-09 both compare the row's tax amount with it); None where either is absent."""
    return tuple(
        None
        if row.taxable_amount is None or row.rate is None
        else round2(abs(row.taxable_amount) * row.rate / 100)
        for row in invoice.vat_breakdown
    )


expected_tax_amounts = PerInvoice(_expected_tax_amounts)


def enumerate_lines(invoice) -> Iterator[tuple[int, object]]:
    return enumerate(invoice.lines)
