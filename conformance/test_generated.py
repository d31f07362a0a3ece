"""Generated invoices: every one we write passes the official rules and the native validator;
mutated ones get the same verdict (valid / invalid) from both."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats.peppol.rules import check
from formats.peppol.ubl_read import read
from formats.peppol.ubl_write import write
from tests.strategies import invoices

AGREEMENT: list[bool] = []

MUTATIONS = {
    "drop_issue_date": lambda inv: replace(inv, issue_date=None),
    "break_payable": lambda inv: replace(
        inv, totals=replace(inv.totals, payable=inv.totals.payable + Decimal("1.00"))
    ),
    "bad_currency": lambda inv: replace(inv, currency="XXX"),
    "no_buyer_reference": lambda inv: replace(inv, buyer_reference=None),
    "bad_category": lambda inv: replace(
        inv,
        lines=(
            replace(inv.lines[0], item=replace(inv.lines[0].item, vat_category="Q")),
            *inv.lines[1:],
        ),
    ),
    "line_sum_off": lambda inv: replace(
        inv, lines=(replace(inv.lines[0], net_amount=inv.lines[0].net_amount + 5), *inv.lines[1:])
    ),
    "no_seller_endpoint": lambda inv: replace(
        inv, seller=replace(inv.seller, electronic_address=None)
    ),
    "unchanged": lambda inv: inv,
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(invoice=invoices())
def test_generated_invoices_pass_the_official_and_native_rules(oracle, invoice):
    xml = write(invoice)
    report = oracle.validate_bytes(xml, name="generated.xml")
    assert report.valid, report.to_text()
    native = [f for f in check(read(xml)) if f.is_fatal]
    assert not native, native


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(invoice=invoices(), mutation=st.sampled_from(sorted(MUTATIONS)))
def test_mutated_invoices_get_the_same_verdict(oracle, invoice, mutation):
    xml = write(MUTATIONS[mutation](invoice))
    official = oracle.validate_bytes(xml, name=f"{mutation}.xml").valid
    native = not any(f.is_fatal for f in check(read(xml)))
    assert native == official, (
        f"{mutation}: native {native}, official {official}\n{oracle.validate_bytes(xml, name='x').to_text()}"
    )
