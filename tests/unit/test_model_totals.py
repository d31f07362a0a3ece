from datetime import date
from decimal import Decimal as D

from formats.model import AllowanceCharge, Invoice, Item, Line, Party, Price, complete


def _line(n: str, qty: str, price: str, cat: str, rate: str) -> Line:
    return Line(
        id=n,
        quantity=D(qty),
        unit_code="EA",
        price=Price(net=D(price)),
        item=Item(name=f"item {n}", vat_category=cat, vat_rate=D(rate)),
    )


def test_complete_computes_line_amounts_breakdown_and_totals() -> None:
    invoice = Invoice(
        number="1",
        issue_date=date(2026, 1, 1),
        type_code="380",
        currency="SEK",
        seller=Party(name="S"),
        buyer=Party(name="B"),
        lines=(_line("1", "3", "10.005", "S", "25"), _line("2", "1", "100", "E", "0")),
        allowances_charges=(AllowanceCharge(amount=D("5"), vat_category="S", vat_rate=D("25.00")),),
    )
    done = complete(invoice)
    assert done.lines[0].net_amount == D("30.02")
    assert [(r.category, r.taxable_amount, r.tax_amount) for r in done.vat_breakdown] == [
        ("S", D("25.02"), D("6.26")),
        ("E", D("100.00"), D("0.00")),
    ]
    assert done.totals is not None
    assert done.totals.tax_exclusive == D("125.02")
    assert done.totals.payable == D("131.28")


def test_given_totals_are_kept_for_the_validator_to_check() -> None:
    from formats.model import Totals

    invoice = Invoice(lines=(_line("1", "1", "10", "S", "25"),), totals=Totals(payable=D("999")))
    assert complete(invoice).totals.payable == D("999")


def test_an_invoice_completed_before_is_returned_as_it_is() -> None:
    """Intake completes an invoice, then changes its payment reference or specification id,
    then writes it, and the writer completes it again: that costs nothing, and an invoice with
    other amounts is still completed."""
    from dataclasses import replace

    source = Invoice(
        number="1",
        currency="SEK",
        lines=(_line("1", "3", "10", "S", "25"),),
    )
    completed = complete(source)
    assert completed is not source and completed.totals.payable == D("37.50")
    renamed = replace(completed, customization_id="urn:other")
    assert complete(renamed) is renamed
    more = replace(completed, lines=(_line("1", "4", "10", "S", "25"),), totals=None)
    more = replace(more, vat_breakdown=())
    assert complete(more).totals.payable == D("50.00")
    # … and a caller's wrong total is kept for the rules to judge, whatever came before
    wrong = replace(completed, totals=replace(completed.totals, payable=D("1")))
    assert complete(wrong).totals.payable == D("1")
