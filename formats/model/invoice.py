"""The invoice document: header, references, parties, payment, totals and lines (EN 16931)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ._terms import required, term
from .lines import AllowanceCharge, Line, Period
from .party import Address, Identifier, Party, Payee, TaxRepresentative
from .payment import PaymentMeans
from .tax import VatBreakdown

_model = dataclass(frozen=True, kw_only=True, slots=True)

#: Peppol BIS Billing 3.0 specification identifier (BT-24) and business process (BT-23).
PEPPOL_BIS3_CUSTOMIZATION = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
)
PEPPOL_BIS3_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


class DocumentKind(StrEnum):
    """Which UBL document the invoice is (the syntax differs; the semantic model is shared)."""

    INVOICE = "invoice"  #: a commercial invoice (UBL Invoice-2)
    CREDIT_NOTE = "credit_note"  #: a credit note (UBL CreditNote-2)


@_model
class PrecedingInvoice:
    """A reference to an earlier invoice (BG-3), e.g. the one a credit note corrects."""

    id: str | None = required("BT-25", "Preceding invoice reference")
    issue_date: date | None = term("BT-26", "Preceding invoice issue date")


@_model
class Attachment:
    """An attached binary object (BT-125)."""

    content: bytes = required("BT-125", "The attached document, base64 in JSON")
    mime_code: str | None = term("BT-125-1", "Attached document MIME code")
    filename: str | None = term("BT-125-2", "Attached document filename")


@_model
class SupportingDocument:
    """An additional supporting document (BG-24)."""

    id: str | None = required("BT-122", "Supporting document reference")
    description: str | None = term("BT-123", "Supporting document description")
    url: str | None = term("BT-124", "External document location")
    attachment: Attachment | None = term("BT-125", "Attached document")


@_model
class Delivery:
    """Delivery information (BG-13)."""

    party_name: str | None = term("BT-70", "Deliver to party name")
    location_id: Identifier | None = term("BT-71", "Deliver to location identifier")
    actual_date: date | None = term("BT-72", "Actual delivery date")
    address: Address | None = term("BG-15", "Deliver to address")


@_model
class Totals:
    """Document totals (BG-22). Left out by a caller, they are computed (``formats.model.totals``)."""

    line_net_total: Decimal | None = required("BT-106", "Sum of Invoice line net amount")
    allowance_total: Decimal | None = term("BT-107", "Sum of allowances on document level")
    charge_total: Decimal | None = term("BT-108", "Sum of charges on document level")
    tax_exclusive: Decimal | None = required("BT-109", "Invoice total amount without VAT")
    vat_total: Decimal | None = term("BT-110", "Invoice total VAT amount")
    vat_total_tax_currency: Decimal | None = term(
        "BT-111", "Invoice total VAT amount in accounting currency (BT-6)"
    )
    tax_inclusive: Decimal | None = required("BT-112", "Invoice total amount with VAT")
    prepaid: Decimal | None = term("BT-113", "Paid amount")
    rounding: Decimal | None = term("BT-114", "Rounding amount")
    payable: Decimal | None = required("BT-115", "Amount due for payment")


@_model
class Invoice:
    """An invoice or credit note per EN 16931, the canonical model of Fakturaport."""

    kind: DocumentKind = term(
        "", "invoice or credit_note (the UBL document type)", default=DocumentKind.INVOICE
    )
    customization_id: str | None = term(
        "BT-24", "Specification identifier", default=PEPPOL_BIS3_CUSTOMIZATION
    )
    profile_id: str | None = term("BT-23", "Business process type", default=PEPPOL_BIS3_PROFILE)
    number: str | None = required("BT-1", "Invoice number")
    issue_date: date | None = required("BT-2", "Invoice issue date")
    type_code: str | None = required(
        "BT-3", "Invoice type code (UNCL1001: 380 invoice, 381 credit note, 383, 384, 386, 389…)"
    )
    currency: str | None = required("BT-5", "Invoice currency code (ISO 4217)")
    tax_currency: str | None = term("BT-6", "VAT accounting currency code")
    tax_point_date: date | None = term("BT-7", "Value added tax point date")
    tax_point_date_code: str | None = term("BT-8", "Value added tax point date code (UNCL2005)")
    due_date: date | None = term("BT-9", "Payment due date")
    buyer_reference: str | None = term("BT-10", "Buyer reference")
    project_reference: str | None = term("BT-11", "Project reference")
    contract_reference: str | None = term("BT-12", "Contract reference")
    purchase_order_reference: str | None = term("BT-13", "Purchase order reference")
    sales_order_reference: str | None = term("BT-14", "Sales order reference")
    receiving_advice_reference: str | None = term("BT-15", "Receiving advice reference")
    despatch_advice_reference: str | None = term("BT-16", "Despatch advice reference")
    tender_reference: str | None = term("BT-17", "Tender or lot reference")
    invoiced_object_id: Identifier | None = term("BT-18", "Invoiced object identifier")
    buyer_accounting_reference: str | None = term("BT-19", "Buyer accounting reference")
    payment_terms: str | None = term("BT-20", "Payment terms")
    notes: tuple[str, ...] = term("BG-1", "Invoice notes (BT-22)", factory=tuple)
    preceding_invoices: tuple[PrecedingInvoice, ...] = term(
        "BG-3", "Preceding invoice references", factory=tuple
    )
    seller: Party | None = required("BG-4", "Seller")
    buyer: Party | None = required("BG-7", "Buyer")
    payee: Payee | None = term("BG-10", "Payee, when not the seller")
    tax_representative: TaxRepresentative | None = term("BG-11", "Seller tax representative party")
    delivery: Delivery | None = term("BG-13", "Delivery information")
    invoice_period: Period | None = term("BG-14", "Invoicing period")
    payment_means: tuple[PaymentMeans, ...] = term("BG-16", "Payment instructions", factory=tuple)
    allowances_charges: tuple[AllowanceCharge, ...] = term(
        "BG-20", "Document level allowances (BG-20) and charges (BG-21)", factory=tuple
    )
    totals: Totals | None = required("BG-22", "Document totals")
    vat_breakdown: tuple[VatBreakdown, ...] = term("BG-23", "VAT breakdown", factory=tuple)
    supporting_documents: tuple[SupportingDocument, ...] = term(
        "BG-24", "Additional supporting documents", factory=tuple
    )
    lines: tuple[Line, ...] = term("BG-25", "Invoice lines", factory=tuple)

    @property
    def is_credit_note(self) -> bool:
        return self.kind is DocumentKind.CREDIT_NOTE
