"""Model invoices that exercise what Svefaktura can carry (and what it must report as dropped)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from formats.model import (
    Address,
    AllowanceCharge,
    Contact,
    DocumentKind,
    FinancialAccount,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentMeans,
    PrecedingInvoice,
    Price,
    complete,
)


def seller() -> Party:
    return Party(
        name="Moderna Produkter AB",
        legal_registration_id=Identifier(value="5560360793", scheme="0007"),
        vat_id="SE556036079301",
        tax_registration_id="Godkänd för F-skatt",
        electronic_address=Identifier(value="5560360793", scheme="0007"),
        address=Address(
            line1="Storgatan 5", city="Hägersten", post_code="126 52", country_code="SE"
        ),
        contact=Contact(
            name="Fakturaavdelningen", phone="08-111 222 33", email="faktura@moderna.se"
        ),
    )


def buyer() -> Party:
    return Party(
        name="Johnssons Byggvaror AB",
        legal_registration_id=Identifier(value="5567321707", scheme="0007"),
        vat_id="SE556732170701",
        electronic_address=Identifier(value="5567321707", scheme="0007"),
        address=Address(
            line1="Rådhusgatan 5", city="Stockholm", post_code="110 00", country_code="SE"
        ),
    )


def line(n: int, qty: str, price: str, category: str = "S", rate: str | None = "25", **kw) -> Line:
    return Line(
        id=str(n),
        quantity=Decimal(qty),
        unit_code="EA",
        price=Price(net=Decimal(price)),
        item=Item(
            name=f"Artikel {n}",
            sellers_id=f"A-{n}",
            vat_category=category,
            vat_rate=Decimal(rate) if rate is not None else None,
        ),
        **kw,
    )


def invoice(**overrides) -> Invoice:
    base = dict(
        number="2026-1001",
        issue_date=date(2026, 11, 20),
        due_date=date(2026, 12, 20),
        type_code="380",
        currency="SEK",
        buyer_reference="Pelle Svensson",
        payment_terms="30 dagar netto. Dröjsmålsränta enligt räntelagen.",
        seller=seller(),
        buyer=buyer(),
        payment_means=(
            PaymentMeans(
                type_code="30",
                remittance_information="1234567897",
                account=FinancialAccount(id="50501055", service_provider_id="SE:BANKGIRO"),
            ),
        ),
        lines=(line(1, "120", "50"), line(2, "15", "15.50", rate="12")),
    )
    base.update(overrides)
    return complete(Invoice(**base))


def credit_note() -> Invoice:
    return invoice(
        kind=DocumentKind.CREDIT_NOTE,
        type_code="381",
        number="2026-K17",
        preceding_invoices=(PrecedingInvoice(id="2026-1001", issue_date=date(2026, 11, 20)),),
    )


def mixed_categories() -> Invoice:
    # EN 16931 (BR-E-10) wants a reason for exempt supplies: the caller states it in the breakdown.
    source = invoice(
        lines=(
            line(1, "2", "1000"),
            line(2, "1", "300", category="E", rate="0"),
            line(3, "4", "25.25", category="Z", rate="0"),
        ),
        allowances_charges=(
            AllowanceCharge(
                is_charge=True,
                amount=Decimal("95"),
                vat_category="S",
                vat_rate=Decimal("25"),
                reason="Frakt",
            ),
        ),
    )
    reason = "Undantag från skatteplikt enligt 3 kap. mervärdesskattelagen"
    return replace(
        source,
        vat_breakdown=tuple(
            replace(row, exemption_reason=reason) if row.category == "E" else row
            for row in source.vat_breakdown
        ),
    )


def plusgiro_with_line_discount() -> Invoice:
    return invoice(
        payment_means=(
            PaymentMeans(
                type_code="30",
                remittance_information="55512",
                account=FinancialAccount(id="123 45 67-8", service_provider_id="SE:PLUSGIRO"),
            ),
        ),
        lines=(
            line(
                1,
                "10",
                "100",
                allowances_charges=(
                    AllowanceCharge(amount=Decimal("50"), reason="Rabatt", reason_code="95"),
                ),
            ),
        ),
    )


ALL = {
    "invoice": invoice,
    "credit_note": credit_note,
    "mixed_categories": mixed_categories,
    "plusgiro_line_discount": plusgiro_with_line_discount,
}
