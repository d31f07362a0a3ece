"""Greek national rules of Peppol BIS 3.0.21 (GR-R-*, GR-S-*): the six-segment invoice number,
Greek TINs (AFM, with their check digit), the myDATA MARK and the invoice URL.

A supplier is Greek when the Peppol rules' $supplierCountry is GR or EL (VAT prefix first, then
the tax representative's, then the address), a buyer likewise by its own VAT prefix or address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from formats.model import Invoice, Party

from ._helpers import WARNING, Registry
from .national_nordic import country_of, supplier_country

RULESET = "peppol"
Found = Iterator[str]

_GREEK = ("GR", "EL")
_DOCUMENT_TYPES = {"1.1", "1.6", "2.1", "2.4", "5.1", "5.2"}
_DATE = re.compile(r"^(0?[1-9]|[12][0-9]|3[01])[-\\/ ]?(0?[1-9]|1[0-2])[-\\/ ]?(19|20)[0-9]{2}")
_MARK = "##M.AR.K##"
_URL = "##INVOICE|URL##"


def tin_valid(value: str) -> bool:
    """The Greek TIN (AFM) check digit, as the rules compute it on the first nine characters."""
    digits = value[:9]
    if len(digits) < 9 or not all("0" <= c <= "9" for c in digits):
        return False
    checksum = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(digits[:8]))
    return checksum % 11 % 10 == int(digits[8])


def _greek_seller(inv: Invoice) -> bool:
    return supplier_country(inv) in _GREEK


def _greek_anywhere(inv: Invoice) -> bool:
    """The context of every GR rule: a Greek supplier, or (GR-R-009) a seller Greek by its own
    VAT prefix or address."""
    return _greek_seller(inv) or country_of((inv.seller,), inv.seller) in _GREEK


reg = Registry(context=_greek_anywhere)


def _seller_address_gr(inv: Invoice) -> bool:
    address = inv.seller.address if inv.seller else None
    return bool(address and address.country_code == "GR")


def _segments(number: str) -> list[str]:
    """XPath ``tokenize(., '\\|')``: no tokens for an empty string, empty ones kept otherwise."""
    return number.split("|") if number else []


def _segment(segments: list[str], n: int) -> str:
    return segments[n - 1] if len(segments) >= n else ""


def _documents(inv: Invoice, description: str) -> list[int]:
    return [i for i, d in enumerate(inv.supporting_documents) if d.description == description]


def _vat_tin(party: Party | None) -> bool:
    return bool(party and party.vat_id) and tin_valid(party.vat_id[2:])


def _endpoint_tin(party: Party | None, pointer: str) -> Found:
    endpoint = party.electronic_address if party else None
    if (
        endpoint is not None
        and endpoint.value is not None
        and (endpoint.scheme != "9933" or not tin_valid(endpoint.value))
    ):
        yield pointer


def _number_rule(rule: str, message: str, test) -> None:
    def check(inv: Invoice) -> Found:
        if inv.number is not None and _greek_seller(inv) and not test(inv, _segments(inv.number)):
            yield "/number"

    reg.rule(rule, message)(check)


def _tin_of_seller_or_representative(inv: Invoice, segments: list[str]) -> bool:
    first = _segment(segments, 1)
    vats = [
        party.vat_id[2:11]
        for party in (inv.seller, inv.tax_representative)
        if party is not None and party.vat_id
    ]
    return len(first.strip()) == 9 and tin_valid(first) and first in vats


def _issue_date_matches(inv: Invoice, segments: list[str]) -> bool:
    second = _segment(segments, 2)
    if not second.strip() or not _DATE.search(second) or inv.issue_date is None:
        return False
    year, month, day = inv.issue_date.isoformat().split("-")
    parts = second.split("/")
    return len(parts) >= 3 and parts[:3] == [day, month, year]


def _sequence_number(_inv: Invoice, segments: list[str]) -> bool:
    third = _segment(segments, 3).strip()
    return bool(re.fullmatch(r"[+-]?\d+", third)) and int(third) >= 0


_number_rule(
    "GR-R-001-1",
    " When the Supplier is Greek, the Invoice Id should consist of 6 segments",
    lambda inv, segments: len(segments) == 6,
)
_number_rule(
    "GR-R-001-2",
    "When the Supplier is Greek, the Invoice Id first segment must be a valid TIN Number and match either the Supplier's or the Tax Representative's Tin Number",
    _tin_of_seller_or_representative,
)
_number_rule(
    "GR-R-001-3",
    "When the Supplier is Greek, the Invoice Id second segment must be a valid Date that matches the invoice Issue Date",
    _issue_date_matches,
)
_number_rule(
    "GR-R-001-4",
    "When Supplier is Greek, the Invoice Id third segment must be a positive integer",
    _sequence_number,
)
_number_rule(
    "GR-R-001-5",
    "When Supplier is Greek, the Invoice Id in the fourth segment must be a valid greek document type",
    lambda inv, segments: _segment(segments, 4) in _DOCUMENT_TYPES,
)
_number_rule(
    "GR-R-001-6",
    "When Supplier is Greek, the Invoice Id fifth segment must not be empty",
    lambda inv, segments: len(_segment(segments, 5)) > 0,
)
_number_rule(
    "GR-R-001-7",
    "When Supplier is Greek, the Invoice Id sixth segment must not be empty",
    lambda inv, segments: len(_segment(segments, 6)) > 0,
)


@reg.rule(
    "GR-R-002",
    "Greek Suppliers must provide their full name as they are registered in the Greek Business Registry (G.E.MH.) as a legal entity or in the Tax Registry as a natural person ",
)
def gr002(inv: Invoice) -> Found:
    if inv.seller is not None and _greek_seller(inv) and not inv.seller.trading_name:
        yield "/seller/trading_name"


@reg.rule(
    "GR-S-011",
    "Greek suppliers must provide their Seller Tax Registration Number, prefixed by the country code",
    WARNING,
)
def gr011(inv: Invoice) -> Found:
    if inv.seller is not None and _greek_seller(inv) and not _vat_tin(inv.seller):
        yield "/seller/vat_id"


@reg.rule(
    "GR-R-003",
    "For the Greek Suppliers, the VAT must start with 'EL' and must be a valid TIN number",
)
def gr003(inv: Invoice) -> Found:
    vat = inv.seller.vat_id if inv.seller else None
    if vat and _greek_seller(inv) and not (vat[:2] == "EL" and tin_valid(vat[2:])):
        yield "/seller/vat_id"


@reg.rule("GR-R-004-1", " When Supplier is Greek, there must be one MARK Number")
def gr004_1(inv: Invoice) -> Found:
    if _greek_seller(inv) and _seller_address_gr(inv) and len(_documents(inv, _MARK)) != 1:
        yield "/supporting_documents"


@reg.rule("GR-S-008-1", "When Supplier is Greek, there should be one invoice url", WARNING)
def gr008_1(inv: Invoice) -> Found:
    if _greek_seller(inv) and _seller_address_gr(inv) and len(_documents(inv, _URL)) != 1:
        yield "/supporting_documents"


@reg.rule("GR-R-008-2", "When Supplier is Greek, there should be no more than one invoice url")
def gr008_2(inv: Invoice) -> Found:
    if _greek_seller(inv) and _seller_address_gr(inv) and len(_documents(inv, _URL)) > 1:
        yield "/supporting_documents"


@reg.rule("GR-R-004-2", "When Supplier is Greek, the MARK Number must be a positive integer")
def gr004_2(inv: Invoice) -> Found:
    if _greek_seller(inv) and _seller_address_gr(inv):
        for i in _documents(inv, _MARK):
            if not re.match(r"[1-9]", inv.supporting_documents[i].id or ""):
                yield f"/supporting_documents/{i}/id"


@reg.rule(
    "GR-R-008-3",
    "When Supplier is Greek and the INVOICE URL Document reference exists, the External Reference URI should be present",
)
def gr008_3(inv: Invoice) -> Found:
    if _greek_seller(inv):
        for i in _documents(inv, _URL):
            if not (inv.supporting_documents[i].url or "").strip():
                yield f"/supporting_documents/{i}/url"


@reg.rule("GR-R-005", "Greek Suppliers must provide the full name of the buyer")
def gr005(inv: Invoice) -> Found:
    if inv.buyer is not None and _greek_seller(inv) and not inv.buyer.trading_name:
        yield "/buyer/trading_name"


@reg.rule(
    "GR-R-009",
    "Greek suppliers that send an invoice through the PEPPOL network must use a correct TIN number as an electronic address according to PEPPOL Electronic Address Identifier scheme (schemeID 9933).",
)
def gr009(inv: Invoice) -> Found:
    # $accountingSupplierCountry: the supplier's own VAT prefix, else its address.
    if country_of((inv.seller,), inv.seller) in _GREEK:
        yield from _endpoint_tin(inv.seller, "/seller/electronic_address")


def _greek_both(inv: Invoice) -> bool:
    return _greek_seller(inv) and country_of((inv.buyer,), inv.buyer) in _GREEK  # $customerCountry


@reg.rule(
    "GR-R-006",
    "Greek Suppliers must provide the VAT number of the buyer, if the buyer is Greek ",
)
def gr006(inv: Invoice) -> Found:
    if inv.buyer is not None and _greek_both(inv) and not _vat_tin(inv.buyer):
        yield "/buyer/vat_id"


@reg.rule(
    "GR-R-010",
    "Greek Suppliers that send an invoice through the PEPPOL network to a greek buyer must use a correct TIN number as an electronic address according to PEPPOL Electronic Address Identifier scheme (SchemeID 9933)",
)
def gr010(inv: Invoice) -> Found:
    if _greek_both(inv):
        yield from _endpoint_tin(inv.buyer, "/buyer/electronic_address")


RULES = reg.rules
