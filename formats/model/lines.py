"""Invoice lines (BG-25) and the pieces lines share with the document: allowances, charges, periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ._terms import required, term
from .party import Identifier

_model = dataclass(frozen=True, kw_only=True, slots=True)


@_model
class Period:
    """A start and/or end date (BG-14 invoicing period, BG-26 line period)."""

    start: date | None = term("BT-73", "Start date (document BT-73, line BT-134)")
    end: date | None = term("BT-74", "End date (document BT-74, line BT-135)")


@_model
class AllowanceCharge:
    """An allowance or a charge, on the document (BG-20/BG-21) or on a line (BG-27/BG-28).

    VAT category and rate apply to document level only; the BT ids given are document-level
    allowance ids (charges: BT-99…BT-105; line level: BT-136…BT-145).
    """

    is_charge: bool = term(
        "", "true for a charge (BG-21/BG-28), false for an allowance", default=False
    )
    amount: Decimal | None = required("BT-92", "Amount, without VAT")
    base_amount: Decimal | None = term("BT-93", "Base amount the percentage applies to")
    percentage: Decimal | None = term("BT-94", "Percentage applied to the base amount")
    vat_category: str | None = term("BT-95", "VAT category code (document level only)")
    vat_rate: Decimal | None = term("BT-96", "VAT rate in percent (document level only)")
    reason: str | None = term("BT-97", "Reason text")
    reason_code: str | None = term("BT-98", "Reason code (UNCL5189 allowances, UNCL7161 charges)")


@_model
class ItemClassification:
    """An item classification code (BT-158) with its list id and version."""

    code: str = required("BT-158", "Item classification identifier")
    list_id: str | None = term("BT-158-1", "Scheme identifier (UNTDID 7143, e.g. STI, CV)")
    list_version: str | None = term("BT-158-2", "Scheme version identifier")


@_model
class ItemAttribute:
    """A named item property (BG-32)."""

    name: str = required("BT-160", "Item attribute name")
    value: str = required("BT-161", "Item attribute value")


@_model
class Item:
    """What was sold (BG-31) with its VAT (BG-30)."""

    name: str | None = required("BT-153", "Item name")
    description: str | None = term("BT-154", "Item description")
    sellers_id: str | None = term("BT-155", "Item seller's identifier")
    buyers_id: str | None = term("BT-156", "Item buyer's identifier")
    standard_id: Identifier | None = term(
        "BT-157", "Item standard identifier, e.g. GTIN (scheme 0160)"
    )
    classifications: tuple[ItemClassification, ...] = term(
        "BT-158", "Item classification identifiers", factory=tuple
    )
    origin_country: str | None = term("BT-159", "Item country of origin")
    attributes: tuple[ItemAttribute, ...] = term("BG-32", "Item attributes", factory=tuple)
    vat_category: str | None = required("BT-151", "Invoiced item VAT category code")
    vat_rate: Decimal | None = term("BT-152", "Invoiced item VAT rate in percent")


@_model
class Price:
    """Price details (BG-29)."""

    net: Decimal | None = required("BT-146", "Item net price (after the price discount)")
    discount: Decimal | None = term("BT-147", "Item price discount")
    gross: Decimal | None = term("BT-148", "Item gross price")
    base_quantity: Decimal | None = term("BT-149", "Item price base quantity")
    base_quantity_unit: str | None = term("BT-150", "Item price base quantity unit of measure code")


@_model
class Line:
    """One invoice line (BG-25)."""

    id: str | None = required("BT-126", "Invoice line identifier")
    note: str | None = term("BT-127", "Invoice line note")
    object_id: Identifier | None = term("BT-128", "Invoice line object identifier")
    quantity: Decimal | None = required("BT-129", "Invoiced quantity")
    unit_code: str | None = required(
        "BT-130", "Invoiced quantity unit of measure code (UN/ECE Rec 20/21)"
    )
    net_amount: Decimal | None = required(
        "BT-131", "Line net amount: quantity × net price / base quantity + charges − allowances"
    )
    order_line_reference: str | None = term("BT-132", "Referenced purchase order line reference")
    accounting_reference: str | None = term("BT-133", "Invoice line Buyer accounting reference")
    period: Period | None = term("BG-26", "Invoice line period")
    allowances_charges: tuple[AllowanceCharge, ...] = term(
        "BG-27", "Line allowances (BG-27) and charges (BG-28)", factory=tuple
    )
    price: Price | None = required("BG-29", "Price details")
    item: Item | None = required("BG-31", "Item information")
