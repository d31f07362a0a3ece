"""Hypothesis strategies: valid Peppol BIS 3.0 invoices built through the model.

Sellers in SE, NO, DK and DE with valid identifiers, lines in the VAT categories S, Z, E, AE, K and
G (with the parties and exemption reasons each one needs), optional allowances and charges,
Bankgiro or IBAN payment. Totals and the VAT breakdown are computed by ``formats.model.complete``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from formats.model import (
    Address,
    AllowanceCharge,
    FinancialAccount,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentMeans,
    Price,
    complete,
)

SELLERS = {
    "SE": Party(
        name="Moderna Produkter AB",
        vat_id="SE556036079301",
        legal_registration_id=Identifier(value="5560360793", scheme="0007"),
        electronic_address=Identifier(value="5560360793", scheme="0007"),
        address=Address(
            line1="Storgatan 5", city="Hägersten", post_code="12652", country_code="SE"
        ),
    ),
    "NO": Party(
        name="Fjord Handel AS",
        vat_id="NO974760673MVA",
        legal_registration_id=Identifier(value="974760673", scheme="0192"),
        electronic_address=Identifier(value="974760673", scheme="0192"),
        address=Address(
            line1="Karl Johans gate 1", city="Oslo", post_code="0154", country_code="NO"
        ),
    ),
    "DK": Party(
        name="Dansk Træ ApS",
        vat_id="DK12345674",
        legal_registration_id=Identifier(value="12345674", scheme="0184"),
        electronic_address=Identifier(value="12345674", scheme="0184"),
        address=Address(
            line1="Vestergade 2", city="København", post_code="1456", country_code="DK"
        ),
    ),
}
BUYER = Party(
    name="Johnssons Byggvaror AB",
    vat_id="SE556732170701",
    legal_registration_id=Identifier(value="5567321707", scheme="0007"),
    electronic_address=Identifier(value="5567321707", scheme="0007"),
    address=Address(line1="Rådhusgatan 5", city="Stockholm", post_code="11000", country_code="SE"),
)
RATES = {"SE": ("25", "12", "6"), "NO": ("25", "15", "12"), "DK": ("25",)}
EXEMPTIONS = {
    "E": ("Exempt supply", None),
    "AE": ("Reverse charge", "VATEX-EU-AE"),
    "K": ("Intra-community supply", "VATEX-EU-IC"),
    "G": ("Export", "VATEX-EU-G"),
}

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
quantities = st.decimals(min_value=Decimal("1"), max_value=Decimal("500"), places=0)


@st.composite
def invoices(draw) -> Invoice:
    country = draw(st.sampled_from(sorted(SELLERS)))
    category = draw(
        st.sampled_from(["S", "S", "S", "Z", "E", "AE"] + (["K", "G"] if country != "NO" else []))
    )
    rate = Decimal(draw(st.sampled_from(RATES[country]))) if category == "S" else Decimal("0")
    count = draw(st.integers(min_value=1, max_value=6))
    lines = tuple(
        Line(
            id=str(n + 1),
            quantity=draw(quantities),
            unit_code=draw(st.sampled_from(["EA", "HUR", "KGM", "C62"])),
            price=Price(net=draw(amounts)),
            item=Item(name=f"Article {n + 1}", vat_category=category, vat_rate=rate),
        )
        for n in range(count)
    )
    charges = ()
    if draw(st.booleans()):
        charges = (
            AllowanceCharge(
                is_charge=draw(st.booleans()),
                amount=draw(
                    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5.00"), places=2)
                ),
                vat_category=category,
                vat_rate=rate,
                reason="Freight",
                reason_code=None,
            ),
        )
    issue = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
    delivery = None
    if category == "K":
        from formats.model import Delivery

        delivery = Delivery(
            actual_date=issue,
            address=Address(line1="Dock 1", city="Hamburg", post_code="20457", country_code="DE"),
        )
    buyer = (
        BUYER
        if category != "K"
        else replace(
            BUYER,
            vat_id="DE123456789",
            address=Address(line1="Hafen 1", city="Hamburg", post_code="20457", country_code="DE"),
        )
    )
    account = (
        FinancialAccount(id="50501055", service_provider_id="SE:BANKGIRO")
        if country == "SE"
        else FinancialAccount(id="NO9386011117947")
    )
    invoice = complete(
        Invoice(
            number=f"INV-{draw(st.integers(1, 99999))}",
            issue_date=issue,
            due_date=issue + timedelta(days=30),
            type_code="380",
            currency=draw(st.sampled_from(["SEK", "EUR", "NOK", "DKK"])),
            buyer_reference="Ref 1",
            seller=SELLERS[country],
            buyer=buyer,
            delivery=delivery,
            payment_means=(
                PaymentMeans(type_code="30", remittance_information="1234567897", account=account),
            ),
            allowances_charges=charges,
            lines=lines,
        )
    )
    if category in EXEMPTIONS:
        text, code = EXEMPTIONS[category]
        invoice = replace(
            invoice,
            vat_breakdown=tuple(
                replace(r, exemption_reason=text, exemption_reason_code=code)
                for r in invoice.vat_breakdown
            ),
        )
    return invoice
