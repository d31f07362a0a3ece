"""EN 16931 code list rules (BR-CL-*) and decimal rules (BR-DEC-*).

Code lists come from ``formats.codes`` (data files with their source). Attribute-level checks
(currencyID on every amount, unit codes on quantities) look at the XML the caller sent; for other
syntaxes the writer sets those attributes from the model, so the model-level checks suffice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from lxml import etree

from formats.codes import codes
from formats.model import Invoice

from ._helpers import Registry

RULESET = "en16931"
reg = Registry()
Found = Iterator[str]
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


def _code(value: str | None) -> str:
    return (value or "").strip()


def _bad(value: str | None, list_name: str) -> bool:
    text = (value or "").strip()
    return value is not None and (" " in text or text not in codes(list_name))


@reg.rule(
    "BR-CL-01",
    "The document type code MUST be coded by the invoice and credit note related code lists of UNTDID 1001.",
)
def brcl01(inv: Invoice) -> Found:
    if inv.type_code is not None and _bad(
        inv.type_code, "UNCL1001-CN" if inv.is_credit_note else "UNCL1001-INV"
    ):
        yield "/type_code"


@reg.rule("BR-CL-04", "Invoice currency code MUST be coded using ISO code list 4217 alpha-3")
def brcl04(inv: Invoice) -> Found:
    if _bad(inv.currency, "ISO4217"):
        yield "/currency"


@reg.rule("BR-CL-05", "Tax currency code MUST be coded using ISO code list 4217 alpha-3")
def brcl05(inv: Invoice) -> Found:
    if _bad(inv.tax_currency, "ISO4217"):
        yield "/tax_currency"


@reg.rule(
    "BR-CL-06", "Value added tax point date code MUST be coded using a restriction of UNTDID 2005."
)
def brcl06(inv: Invoice) -> Found:
    if _bad(inv.tax_point_date_code, "UNCL2005"):
        yield "/tax_point_date_code"


@reg.rule(
    "BR-CL-07",
    "Object identifier identification scheme identifier MUST be coded using a restriction of UNTDID 1153.",
)
def brcl07(inv: Invoice) -> Found:
    if inv.invoiced_object_id and _bad(inv.invoiced_object_id.scheme, "UNCL1153"):
        yield "/invoiced_object_id/scheme"
    for i, ln in enumerate(inv.lines):
        if ln.object_id and _bad(ln.object_id.scheme, "UNCL1153"):
            yield f"/lines/{i}/object_id/scheme"


_NOTE_SUBJECT = re.compile(r"^#([^#]*)#")


@reg.rule("BR-CL-08", "Invoiced note subject code shall be coded using UNCL4451")
def brcl08(inv: Invoice) -> Found:
    for i, note in enumerate(inv.notes):
        match = _NOTE_SUBJECT.match(note or "")
        if match and (len(match.group(1)) != 3 or match.group(1) not in codes("UNCL4451")):
            yield f"/notes/{i}"


def _party_identifier_schemes(inv: Invoice):
    for role in ("seller", "buyer"):
        party = getattr(inv, role)
        for i, ident in enumerate(party.identifiers if party else ()):
            yield f"/{role}/identifiers/{i}/scheme", ident.scheme
    if inv.payee and inv.payee.identifier:
        yield "/payee/identifier/scheme", inv.payee.identifier.scheme


@reg.rule(
    "BR-CL-10",
    "Any identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list.",
)
def brcl10(inv: Invoice) -> Found:
    yield from (p for p, scheme in _party_identifier_schemes(inv) if _bad(scheme, "ICD"))


@reg.rule(
    "BR-CL-11",
    "Any registration identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list.",
)
def brcl11(inv: Invoice) -> Found:
    for role in ("seller", "buyer", "payee"):
        party = getattr(inv, role)
        legal = party.legal_registration_id if party else None
        if legal and _bad(legal.scheme, "ICD"):
            yield f"/{role}/legal_registration_id/scheme"


@reg.rule(
    "BR-CL-13",
    "Item classification identifier identification scheme identifier MUST be coded using one of the UNTDID 7143 list.",
)
def brcl13(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        for j, c in enumerate(ln.item.classifications if ln.item else ()):
            if _bad(c.list_id, "UNCL7143"):
                yield f"/lines/{i}/item/classifications/{j}/list_id"


def _countries(inv: Invoice):
    for role in ("seller", "buyer"):
        party = getattr(inv, role)
        if party and party.address:
            yield f"/{role}/address/country_code", party.address.country_code
    if inv.tax_representative and inv.tax_representative.address:
        yield (
            "/tax_representative/address/country_code",
            inv.tax_representative.address.country_code,
        )
    if inv.delivery and inv.delivery.address:
        yield "/delivery/address/country_code", inv.delivery.address.country_code


@reg.rule("BR-CL-14", "Country codes in an invoice MUST be coded using ISO code list 3166-1")
def brcl14(inv: Invoice) -> Found:
    yield from (p for p, code in _countries(inv) if _bad(code, "ISO3166"))


@reg.rule("BR-CL-15", "Country codes in an invoice MUST be coded using ISO code list 3166-1")
def brcl15(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        if ln.item and _bad(ln.item.origin_country, "ISO3166"):
            yield f"/lines/{i}/item/origin_country"


@reg.rule("BR-CL-16", "Payment means in an invoice MUST be coded using UNCL4461 code list")
def brcl16(inv: Invoice) -> Found:
    yield from (
        f"/payment_means/{i}/type_code"
        for i, m in enumerate(inv.payment_means)
        if _bad(m.type_code, "UNCL4461")
    )


@reg.rule("BR-CL-17", "Invoice tax categories MUST be coded using UNCL5305 code list")
def brcl17(inv: Invoice) -> Found:
    for i, r in enumerate(inv.vat_breakdown):
        if _bad(r.category, "UNCL5305"):
            yield f"/vat_breakdown/{i}/category"
    for i, ac in enumerate(inv.allowances_charges):
        if _bad(ac.vat_category, "UNCL5305"):
            yield f"/allowances_charges/{i}/vat_category"


@reg.rule("BR-CL-18", "Invoice tax categories MUST be coded using UNCL5305 code list")
def brcl18(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        if ln.item and _bad(ln.item.vat_category, "UNCL5305"):
            yield f"/lines/{i}/item/vat_category"


def _reason_codes(inv: Invoice, charge: bool):
    for i, ac in enumerate(inv.allowances_charges):
        if ac.is_charge == charge:
            yield f"/allowances_charges/{i}/reason_code", ac.reason_code
    for i, ln in enumerate(inv.lines):
        for j, ac in enumerate(ln.allowances_charges):
            if ac.is_charge == charge:
                yield f"/lines/{i}/allowances_charges/{j}/reason_code", ac.reason_code


@reg.rule("BR-CL-19", "Coded allowance reasons MUST belong to the UNCL 5189 code list")
def brcl19(inv: Invoice) -> Found:
    yield from (p for p, code in _reason_codes(inv, False) if _bad(code, "UNCL5189"))


@reg.rule("BR-CL-20", "Coded charge reasons MUST belong to the UNCL 7161 code list")
def brcl20(inv: Invoice) -> Found:
    yield from (p for p, code in _reason_codes(inv, True) if _bad(code, "UNCL7161"))


@reg.rule(
    "BR-CL-21",
    "Item standard identifier scheme identifier MUST belong to the ISO 6523 ICD code list",
)
def brcl21(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        if ln.item and ln.item.standard_id and _bad(ln.item.standard_id.scheme, "ICD"):
            yield f"/lines/{i}/item/standard_id/scheme"


@reg.rule(
    "BR-CL-22",
    "Tax exemption reason code identifier scheme identifier MUST belong to the CEF VATEX code list",
)
def brcl22(inv: Invoice) -> Found:
    for i, r in enumerate(inv.vat_breakdown):
        if r.exemption_reason_code is not None and _bad(r.exemption_reason_code.upper(), "VATEX"):
            yield f"/vat_breakdown/{i}/exemption_reason_code"


@reg.rule(
    "BR-CL-23",
    "Unit code MUST be coded according to the UN/ECE Recommendation 20 with Rec 21 extension",
)
def brcl23(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        if _bad(ln.unit_code, "UNECE-REC20"):
            yield f"/lines/{i}/unit_code"
        if ln.price and _bad(ln.price.base_quantity_unit, "UNECE-REC20"):
            yield f"/lines/{i}/price/base_quantity_unit"


@reg.rule("BR-CL-24", "For Mime code in attribute use MIMEMediaType.")
def brcl24(inv: Invoice) -> Found:
    for i, d in enumerate(inv.supporting_documents):
        if (
            d.attachment
            and d.attachment.mime_code is not None
            and d.attachment.mime_code not in codes("MIME")
        ):
            yield f"/supporting_documents/{i}/attachment/mime_code"


@reg.rule("BR-CL-25", "Endpoint identifier scheme identifier MUST belong to the CEF EAS code list")
def brcl25(inv: Invoice) -> Found:
    for role in ("seller", "buyer"):
        party = getattr(inv, role)
        if party and party.electronic_address and _bad(party.electronic_address.scheme, "EAS"):
            yield f"/{role}/electronic_address/scheme"


@reg.rule(
    "BR-CL-26",
    "Delivery location identifier scheme identifier MUST belong to the ISO 6523 ICD code list",
)
def brcl26(inv: Invoice) -> Found:
    if inv.delivery and inv.delivery.location_id and _bad(inv.delivery.location_id.scheme, "ICD"):
        yield "/delivery/location_id/scheme"


# --- XML-level: currencyID on every amount (BR-CL-03) ---------------------------------------------------


_AMOUNTS = (
    "Amount",
    "BaseAmount",
    "PriceAmount",
    "TaxAmount",
    "TaxableAmount",
    "LineExtensionAmount",
    "TaxExclusiveAmount",
    "TaxInclusiveAmount",
    "AllowanceTotalAmount",
    "ChargeTotalAmount",
    "PrepaidAmount",
    "PayableRoundingAmount",
    "PayableAmount",
)
_AMOUNT_TAGS = frozenset(f"{{{CBC}}}{name}" for name in _AMOUNTS)


@reg.xml("BR-CL-03", "currencyID MUST be coded using ISO code list 4217 alpha-3")
def brcl03(root: etree._Element) -> Found:
    tree = root.getroottree()
    valid = codes("ISO4217")
    for el in root.iter(*_AMOUNT_TAGS):
        currency = el.get("currencyID")
        if currency is not None and (" " in currency.strip() or currency.strip() not in valid):
            yield tree.getpath(el)


# --- decimals (BR-DEC): at most two fraction digits on document amounts -------------------------------------


def _dec_rule(rule_id: str, what: str, values, pointers) -> None:
    """``values(inv)``: the amounts the rule looks at; ``pointers(inv)``: where each one is, built
    only when one has too many decimals (most documents have none such)."""

    @reg.rule(rule_id, f"The allowed maximum number of decimals for the {what} is 2.")
    def test(inv: Invoice) -> Found:
        failing = [k for k, value in enumerate(values(inv)) if _over_two_decimals(value)]
        if failing:
            where = pointers(inv)
            yield from (where[k] for k in failing)


def _over_two_decimals(value: Decimal | None) -> bool:
    if value is None:
        return False
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent < -2


def _acs(charge: bool, field: str):
    return (
        lambda inv: [getattr(ac, field) for ac in inv.allowances_charges if ac.is_charge == charge],
        lambda inv: [
            f"/allowances_charges/{i}/{field}"
            for i, ac in enumerate(inv.allowances_charges)
            if ac.is_charge == charge
        ],
    )


def _line_acs(charge: bool, field: str):
    return (
        lambda inv: [
            getattr(ac, field)
            for ln in inv.lines
            for ac in ln.allowances_charges
            if ac.is_charge == charge
        ],
        lambda inv: [
            f"/lines/{i}/allowances_charges/{j}/{field}"
            for i, ln in enumerate(inv.lines)
            for j, ac in enumerate(ln.allowances_charges)
            if ac.is_charge == charge
        ],
    )


def _total(field: str):
    return (
        lambda inv: [getattr(inv.totals, field) if inv.totals else None],
        lambda inv: [f"/totals/{field}"],
    )


def _each(collection: str, field: str):
    """A field of every VAT breakdown row or every line."""
    return (
        lambda inv: [getattr(item, field) for item in getattr(inv, collection)],
        lambda inv: [f"/{collection}/{i}/{field}" for i in range(len(getattr(inv, collection)))],
    )


_dec_rule("BR-DEC-01", "Document level allowance amount (BT-92)", *_acs(False, "amount"))
_dec_rule("BR-DEC-02", "Document level allowance base amount (BT-93)", *_acs(False, "base_amount"))
_dec_rule("BR-DEC-05", "Document level charge amount (BT-99)", *_acs(True, "amount"))
_dec_rule("BR-DEC-06", "Document level charge base amount (BT-100)", *_acs(True, "base_amount"))
_dec_rule("BR-DEC-09", "Sum of Invoice line net amount (BT-106)", *_total("line_net_total"))
_dec_rule("BR-DEC-10", "Sum of allowances on document level (BT-107)", *_total("allowance_total"))
_dec_rule("BR-DEC-11", "Sum of charges on document level (BT-108)", *_total("charge_total"))
_dec_rule("BR-DEC-12", "Invoice total amount without VAT (BT-109)", *_total("tax_exclusive"))
_dec_rule("BR-DEC-13", "Invoice total VAT amount (BT-110)", *_total("vat_total"))
_dec_rule("BR-DEC-14", "Invoice total amount with VAT (BT-112)", *_total("tax_inclusive"))
_dec_rule(
    "BR-DEC-15",
    "Invoice total VAT amount in accounting currency (BT-111)",
    *_total("vat_total_tax_currency"),
)
_dec_rule("BR-DEC-16", "Paid amount (BT-113)", *_total("prepaid"))
_dec_rule("BR-DEC-17", "Rounding amount (BT-114)", *_total("rounding"))
_dec_rule("BR-DEC-18", "Amount due for payment (BT-115)", *_total("payable"))
_dec_rule(
    "BR-DEC-19", "VAT category taxable amount (BT-116)", *_each("vat_breakdown", "taxable_amount")
)
_dec_rule("BR-DEC-20", "VAT category tax amount (BT-117)", *_each("vat_breakdown", "tax_amount"))
_dec_rule("BR-DEC-23", "Invoice line net amount (BT-131)", *_each("lines", "net_amount"))
_dec_rule("BR-DEC-24", "Invoice line allowance amount (BT-136)", *_line_acs(False, "amount"))
_dec_rule(
    "BR-DEC-25", "Invoice line allowance base amount (BT-137)", *_line_acs(False, "base_amount")
)
_dec_rule("BR-DEC-27", "Invoice line charge amount (BT-141)", *_line_acs(True, "amount"))
_dec_rule("BR-DEC-28", "Invoice line charge base amount (BT-142)", *_line_acs(True, "base_amount"))

RULES = reg.rules
XML_RULES = reg.xml_rules


@reg.rule(
    "BR-CO-09",
    "The Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) shall have a prefix in accordance with ISO code ISO 3166-1 alpha-2 by which the country of issue may be identified. Nevertheless, Greece may use the prefix 'EL'.",
)
def brco09(inv: Invoice) -> Found:
    allowed = codes("ISO3166") | {"EL"}
    for pointer, vat in (
        ("/seller/vat_id", inv.seller.vat_id if inv.seller else None),
        ("/buyer/vat_id", inv.buyer.vat_id if inv.buyer else None),
        (
            "/tax_representative/vat_id",
            inv.tax_representative.vat_id if inv.tax_representative else None,
        ),
    ):
        if vat is not None and vat[:2] not in allowed:
            yield pointer


RULES = reg.rules
XML_RULES = reg.xml_rules
