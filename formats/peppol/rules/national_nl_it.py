"""National rules of Peppol BIS 3.0.21 for the Netherlands (NL-R-*, from the NLCIUS) and Italy
(IT-R-*). Dutch rules key on postal addresses; Italian ones on the supplier country as the Peppol
rules define it (VAT prefix first)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from formats.model import Invoice

from ._helpers import Registry
from .national_nordic import supplier_country

RULESET = "peppol"
Found = Iterator[str]
_NL_PAYMENT_MEANS = {"30", "48", "49", "57", "58", "59"}


def _address_in(address, country: str) -> bool:
    return bool(address and (address.country_code or "").strip().upper() == country)


def _seller_nl(inv: Invoice) -> bool:
    return bool(inv.seller) and _address_in(inv.seller.address, "NL")


def _both_nl(inv: Invoice) -> bool:
    return _seller_nl(inv) and bool(inv.buyer) and _address_in(inv.buyer.address, "NL")


#: Every NL rule is for a seller in the Netherlands, every IT rule for an Italian supplier.
netherlands = Registry(context=_seller_nl)
italy = Registry(context=lambda inv: supplier_country(inv) == "IT")


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def _incomplete(address, pointer: str) -> Found:
    if address is not None and (
        _blank(address.line1) or _blank(address.city) or _blank(address.post_code)
    ):
        yield pointer


def _kvk_or_oin(identifier, pointer: str) -> Found:
    if identifier is not None and (
        (identifier.scheme or "").strip() not in ("0106", "0190") or _blank(identifier.value)
    ):
        yield pointer


@netherlands.rule(
    "NL-R-001",
    "For suppliers in the Netherlands, if the document is a creditnote, the document MUST contain an invoice reference (cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)",
)
def nl001(inv: Invoice) -> Found:
    if (
        _seller_nl(inv)
        and inv.is_credit_note
        and not any(not _blank(p.id) for p in inv.preceding_invoices)
    ):
        yield "/preceding_invoices"


@netherlands.rule(
    "NL-R-002",
    "For suppliers in the Netherlands the supplier's address (cac:AccountingSupplierParty/cac:Party/cac:PostalAddress) MUST contain street name (cbc:StreetName), city (cbc:CityName) and post code (cbc:PostalZone)",
)
def nl002(inv: Invoice) -> Found:
    if _seller_nl(inv):
        yield from _incomplete(inv.seller.address, "/seller/address")


@netherlands.rule(
    "NL-R-003",
    "For suppliers in the Netherlands, the legal entity identifier MUST be either a KVK or OIN number (schemeID 0106 or 0190)",
)
def nl003(inv: Invoice) -> Found:
    if _seller_nl(inv):
        yield from _kvk_or_oin(inv.seller.legal_registration_id, "/seller/legal_registration_id")


@netherlands.rule(
    "NL-R-004",
    "For suppliers in the Netherlands, if the customer is in the Netherlands, the customer address (cac:AccountingCustomerParty/cac:Party/cac:PostalAddress) MUST contain the street name (cbc:StreetName), the city (cbc:CityName) and post code (cbc:PostalZone)",
)
def nl004(inv: Invoice) -> Found:
    if _both_nl(inv):
        yield from _incomplete(inv.buyer.address, "/buyer/address")


@netherlands.rule(
    "NL-R-005",
    "For suppliers in the Netherlands, if the customer is in the Netherlands, the customer's legal entity identifier MUST be either a KVK or OIN number (schemeID 0106 or 0190)",
)
def nl005(inv: Invoice) -> Found:
    if _both_nl(inv):
        yield from _kvk_or_oin(inv.buyer.legal_registration_id, "/buyer/legal_registration_id")


@netherlands.rule(
    "NL-R-006",
    "For suppliers in the Netherlands, if the fiscal representative is in the Netherlands, the representative's address (cac:TaxRepresentativeParty/cac:PostalAddress) MUST contain street name (cbc:StreetName), city (cbc:CityName) and post code (cbc:PostalZone)",
)
def nl006(inv: Invoice) -> Found:
    representative = inv.tax_representative
    if _seller_nl(inv) and representative is not None and _address_in(representative.address, "NL"):
        yield from _incomplete(representative.address, "/tax_representative/address")


@netherlands.rule(
    "NL-R-007",
    "For suppliers in the Netherlands, the supplier MUST provide a means of payment (cac:PaymentMeans) if the payment is from customer to supplier",
)
def nl007(inv: Invoice) -> Found:
    if not _seller_nl(inv) or inv.payment_means:
        return
    payable = inv.totals.payable if inv.totals else None
    if payable is None or (payable > 0 if not inv.is_credit_note else payable < 0):
        yield "/payment_means"


@netherlands.rule(
    "NL-R-008",
    "For suppliers in the Netherlands, if the customer is in the Netherlands, the payment means code (cac:PaymentMeans/cbc:PaymentMeansCode) MUST be one of 30, 48, 49, 57, 58 or 59",
)
def nl008(inv: Invoice) -> Found:
    if _both_nl(inv):
        yield from (
            f"/payment_means/{i}/type_code"
            for i, m in enumerate(inv.payment_means)
            if (m.type_code or "").strip() not in _NL_PAYMENT_MEANS
        )


@netherlands.rule(
    "NL-R-009",
    "For suppliers in the Netherlands, if an order line reference (cac:OrderLineReference/cbc:LineID) is used, there must be an order reference on the document level (cac:OrderReference/cbc:ID)",
)
def nl009(inv: Invoice) -> Found:
    if _seller_nl(inv) and not inv.purchase_order_reference:
        yield from (
            f"/lines/{i}/order_line_reference"
            for i, ln in enumerate(inv.lines)
            if ln.order_line_reference is not None
        )


@italy.rule(
    "IT-R-001",
    "BT-32 (Seller tax registration identifier) - For Italian suppliers BT-32 minimum length 11 and maximum length shall be 16. Per i fornitori italiani il BT-32 deve avere una lunghezza tra 11 e 16 caratteri",
)
def it001(inv: Invoice) -> Found:
    registration = (
        inv.seller.tax_registration_id if inv.seller and supplier_country(inv) == "IT" else None
    )
    if registration is not None and not re.fullmatch(
        r"[A-Z0-9]{11,16}", " ".join(registration.split())
    ):
        yield "/seller/tax_registration_id"


def _it_address(rule: str, message: str, field: str) -> None:
    def test(inv: Invoice) -> Found:
        if (
            inv.seller
            and supplier_country(inv) == "IT"
            and (inv.seller.address is None or getattr(inv.seller.address, field) is None)
        ):
            yield f"/seller/address/{field}"

    italy.rule(rule, message)(test)


_it_address(
    "IT-R-002",
    "BT-35 (Seller address line 1) - Italian suppliers MUST provide the postal address line 1 - I fornitori italiani devono indicare l'indirizzo postale.",
    "line1",
)
_it_address(
    "IT-R-003",
    "BT-37 (Seller city) - Italian suppliers MUST provide the postal address city - I fornitori italiani devono indicare la città di residenza.",
    "city",
)
_it_address(
    "IT-R-004",
    "BT-38 (Seller post code) - Italian suppliers MUST provide the postal address post code - I fornitori italiani devono indicare il CAP di residenza.",
    "post_code",
)

RULES = netherlands.rules + italy.rules
