"""The EN 16931 semantic model of an invoice: frozen dataclasses, Decimal amounts, BT ids in metadata.

Every field's metadata names its business term (``bt``) and meaning (``description``); the canonical
JSON and its schema are derived from these classes, so the field names below are the JSON names.
"""

from .invoice import (
    PEPPOL_BIS3_CUSTOMIZATION,
    PEPPOL_BIS3_PROFILE,
    Attachment,
    Delivery,
    DocumentKind,
    Invoice,
    PrecedingInvoice,
    SupportingDocument,
    Totals,
)
from .lines import AllowanceCharge, Item, ItemAttribute, ItemClassification, Line, Period, Price
from .party import Address, Contact, Identifier, Party, Payee, TaxRepresentative
from .payment import BANKGIRO, PLUSGIRO, DirectDebit, FinancialAccount, PaymentCard, PaymentMeans
from .tax import VatBreakdown, VatCategory
from .totals import complete

__all__ = [
    "BANKGIRO",
    "PEPPOL_BIS3_CUSTOMIZATION",
    "PEPPOL_BIS3_PROFILE",
    "PLUSGIRO",
    "Address",
    "AllowanceCharge",
    "Attachment",
    "Contact",
    "Delivery",
    "DirectDebit",
    "DocumentKind",
    "FinancialAccount",
    "Identifier",
    "Invoice",
    "Item",
    "ItemAttribute",
    "ItemClassification",
    "Line",
    "Party",
    "Payee",
    "PaymentCard",
    "PaymentMeans",
    "Period",
    "PrecedingInvoice",
    "Price",
    "SupportingDocument",
    "TaxRepresentative",
    "Totals",
    "VatBreakdown",
    "VatCategory",
    "complete",
]
