"""Peppol BIS Billing 3.0 (3.0.21) rules: PEPPOL-EN16931-R*, -P*, -CL*, -F* and PEPPOL-COMMON-R*."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from lxml import etree

from formats.codes import codes
from formats.model import Invoice

from . import _checks
from ._helpers import PerInvoice, Registry

RULESET = "peppol"
reg = Registry()
Found = Iterator[str]
ZERO = Decimal(0)
BIS3 = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILES_01 = {
    "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
    "urn:peppol:france:billing:regulated",
    "urn:peppol:france:billing:non-regulated",
}
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def profile(inv: Invoice) -> str:
    value = (inv.profile_id or "").strip()
    if value in PROFILES_01:
        return "01"
    return "02" if value == "urn:peppol:bis:billing_with_response" else "Unknown"


def country(party) -> str | None:
    return (
        party.address.country_code.strip().upper()
        if party and party.address and party.address.country_code
        else None
    )


def both_german(inv: Invoice) -> bool:
    return country(inv.seller) == "DE" and country(inv.buyer) == "DE"


@reg.rule("PEPPOL-EN16931-R001", "Business process MUST be provided.")
def r001(inv: Invoice) -> Found:
    if inv.profile_id is None:
        yield "/profile_id"


@reg.rule("PEPPOL-EN16931-R007", "Business process MUST have an approved identifier.")
def r007(inv: Invoice) -> Found:
    if profile(inv) == "Unknown":
        yield "/profile_id"


@reg.rule(
    "PEPPOL-EN16931-R002",
    "No more than one note is allowed on document level, unless both the buyer and seller are German organizations.",
)
def r002(inv: Invoice) -> Found:
    if len(inv.notes) > 1 and not both_german(inv):
        yield "/notes/1"


@reg.rule("PEPPOL-EN16931-R003", "A buyer reference or purchase order reference MUST be provided.")
def r003(inv: Invoice) -> Found:
    if inv.buyer_reference is None and inv.purchase_order_reference is None:
        yield "/buyer_reference"


@reg.rule(
    "PEPPOL-EN16931-R004",
    "Specification identifier MUST begin with the value 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0' and follow the format rules for the identifier.",
)
def r004(inv: Invoice) -> Found:
    value = (inv.customization_id or "").strip()
    if not value.startswith(BIS3) or "::" in value:
        yield "/customization_id"


@reg.rule(
    "PEPPOL-EN16931-R005",
    "VAT accounting currency code MUST be different from invoice currency code when provided.",
)
def r005(inv: Invoice) -> Found:
    if inv.tax_currency is not None and inv.tax_currency.strip() == (inv.currency or "").strip():
        yield "/tax_currency"


@reg.rule("PEPPOL-EN16931-R010", "Buyer electronic address MUST be provided")
def r010(inv: Invoice) -> Found:
    if inv.buyer is not None and inv.buyer.electronic_address is None:
        yield "/buyer/electronic_address"


@reg.rule("PEPPOL-EN16931-R020", "Seller electronic address MUST be provided")
def r020(inv: Invoice) -> Found:
    if inv.seller is not None and inv.seller.electronic_address is None:
        yield "/seller/electronic_address"


def _all_allowances(inv: Invoice):
    for i, ac in enumerate(inv.allowances_charges):
        yield f"/allowances_charges/{i}", ac
    for i, ln in enumerate(inv.lines):
        for j, ac in enumerate(ln.allowances_charges):
            yield f"/lines/{i}/allowances_charges/{j}", ac


@reg.rule(
    "PEPPOL-EN16931-R040",
    "Allowance/charge amount must equal base amount * percentage/100 if base amount and percentage exists",
)
def r040(inv: Invoice) -> Found:
    for pointer, ac in _all_allowances(inv):
        if ac.percentage is not None and ac.base_amount is not None:
            amount = ac.amount if ac.amount is not None else ZERO
            if abs(amount - ac.base_amount * ac.percentage / 100) > Decimal("0.02"):
                yield f"{pointer}/amount"


@reg.rule(
    "PEPPOL-EN16931-R041",
    "Allowance/charge base amount MUST be provided when allowance/charge percentage is provided.",
)
def r041(inv: Invoice) -> Found:
    yield from (
        f"{p}/base_amount"
        for p, ac in _all_allowances(inv)
        if ac.percentage is not None and ac.base_amount is None
    )


@reg.rule(
    "PEPPOL-EN16931-R042",
    "Allowance/charge percentage MUST be provided when allowance/charge base amount is provided.",
)
def r042(inv: Invoice) -> Found:
    yield from (
        f"{p}/percentage"
        for p, ac in _all_allowances(inv)
        if ac.percentage is None and ac.base_amount is not None
    )


@reg.rule(
    "PEPPOL-EN16931-R046",
    "Item net price MUST equal (Gross price - Allowance amount) when gross price is provided.",
)
def r046(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        p = ln.price
        if (
            p is not None
            and p.gross is not None
            and p.net is not None
            and p.net != p.gross - (p.discount or ZERO)
        ):
            yield f"/lines/{i}/price/net"


@reg.rule("PEPPOL-EN16931-R053", "Only one tax total with tax subtotals MUST be provided.")
def r053(inv: Invoice) -> Found:
    if not inv.vat_breakdown:
        yield "/vat_breakdown"


@reg.rule(
    "PEPPOL-EN16931-R054",
    "Only one tax total without tax subtotals MUST be provided when tax currency code is provided.",
)
def r054(inv: Invoice) -> Found:
    has_second = inv.totals is not None and inv.totals.vat_total_tax_currency is not None
    if has_second != (inv.tax_currency is not None):
        yield "/totals/vat_total_tax_currency"


@reg.rule(
    "PEPPOL-EN16931-R055",
    "Invoice total VAT amount and Invoice total VAT amount in accounting currency MUST have the same operational sign",
)
def r055(inv: Invoice) -> Found:
    t = inv.totals
    if inv.tax_currency and t and t.vat_total is not None and t.vat_total_tax_currency is not None:
        a, b = t.vat_total, t.vat_total_tax_currency
        if not ((a <= 0 and b <= 0) or (a >= 0 and b >= 0)):
            yield "/totals/vat_total_tax_currency"


@reg.rule("PEPPOL-EN16931-R061", "Mandate reference MUST be provided for direct debit.")
def r061(inv: Invoice) -> Found:
    for i, m in enumerate(inv.payment_means):
        if (m.type_code or "").strip() in ("49", "59") and (
            m.direct_debit is None or m.direct_debit.mandate_reference is None
        ):
            yield f"/payment_means/{i}/direct_debit/mandate_reference"


@reg.rule("PEPPOL-EN16931-R110", "Start date of line period MUST be within invoice period.")
def r110(inv: Invoice) -> Found:
    start = inv.invoice_period.start if inv.invoice_period else None
    for i, ln in enumerate(inv.lines):
        if start and ln.period and ln.period.start and ln.period.start < start:
            yield f"/lines/{i}/period/start"


@reg.rule("PEPPOL-EN16931-R111", "End date of line period MUST be within invoice period.")
def r111(inv: Invoice) -> Found:
    end = inv.invoice_period.end if inv.invoice_period else None
    for i, ln in enumerate(inv.lines):
        if end and ln.period and ln.period.end and ln.period.end > end:
            yield f"/lines/{i}/period/end"


@reg.rule(
    "PEPPOL-EN16931-R120",
    "Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount",
)
def r120(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        if ln.net_amount is None or ln.quantity is None or ln.price is None or ln.price.net is None:
            yield f"/lines/{i}/net_amount"  # the official rule cannot compute without all three: it fails
            continue
        net, quantity, price = ln.net_amount, ln.quantity, ln.price.net
        base = ln.price.base_quantity if ln.price and ln.price.base_quantity else Decimal(1)
        charges = sum((ac.amount or ZERO for ac in ln.allowances_charges if ac.is_charge), ZERO)
        allowances = sum(
            (ac.amount or ZERO for ac in ln.allowances_charges if not ac.is_charge), ZERO
        )
        if abs(net - (quantity * (price / base) + charges - allowances)) > Decimal("0.02"):
            yield f"/lines/{i}/net_amount"


@reg.rule("PEPPOL-EN16931-R121", "Base quantity MUST be a positive number above zero.")
def r121(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        if ln.price and ln.price.base_quantity is not None and ln.price.base_quantity <= 0:
            yield f"/lines/{i}/price/base_quantity"


@reg.rule(
    "PEPPOL-EN16931-R130", "Unit code of price base quantity MUST be same as invoiced quantity."
)
def r130(inv: Invoice) -> Found:
    for i, ln in enumerate(inv.lines):
        unit = ln.price.base_quantity_unit if ln.price else None
        if unit is not None and ln.quantity is not None and unit != ln.unit_code:
            yield f"/lines/{i}/price/base_quantity_unit"


_INVOICE_TYPES = set(
    [
        "71",
        "80",
        "82",
        "84",
        "102",
        "218",
        "219",
        "326",
        "331",
        "380",
        "382",
        "383",
        "384",
        "386",
        "388",
        "393",
        "395",
        "553",
        "575",
        "623",
        "780",
        "817",
        "870",
        "875",
        "876",
        "877",
    ]
)
_CREDIT_TYPES = {"381", "396", "81", "83", "532"}


@reg.rule("PEPPOL-EN16931-P0100", "Invoice type code MUST be set according to the profile.")
def p0100(inv: Invoice) -> Found:
    if (
        not inv.is_credit_note
        and inv.type_code is not None
        and profile(inv) in ("01", "02")
        and inv.type_code.strip() not in _INVOICE_TYPES
    ):
        yield "/type_code"


@reg.rule("PEPPOL-EN16931-P0101", "Credit note type code MUST be set according to the profile.")
def p0101(inv: Invoice) -> Found:
    if (
        inv.is_credit_note
        and inv.type_code is not None
        and profile(inv) in ("01", "02")
        and inv.type_code.strip() not in _CREDIT_TYPES
    ):
        yield "/type_code"


@reg.rule(
    "PEPPOL-EN16931-P0112",
    "Invoice type code 326 or 384 are only allowed when both buyer and seller are German organizations",
)
def p0112(inv: Invoice) -> Found:
    if (
        not inv.is_credit_note
        and (inv.type_code or "").strip() in ("326", "384")
        and not both_german(inv)
    ):
        yield "/type_code"


_EXEMPTION_CATEGORY = {
    "PEPPOL-EN16931-P0104": ("VATEX-EU-G", "G"),
    "PEPPOL-EN16931-P0105": ("VATEX-EU-O", "O"),
    "PEPPOL-EN16931-P0106": ("VATEX-EU-IC", "K"),
    "PEPPOL-EN16931-P0107": ("VATEX-EU-AE", "AE"),
    "PEPPOL-EN16931-P0108": ("VATEX-EU-D", "E"),
    "PEPPOL-EN16931-P0109": ("VATEX-EU-F", "E"),
    "PEPPOL-EN16931-P0110": ("VATEX-EU-I", "E"),
    "PEPPOL-EN16931-P0111": ("VATEX-EU-J", "E"),
}


def _exemption_rule(rule_id: str, code: str, category: str) -> None:
    @reg.rule(rule_id, f"Tax Category {category} MUST be used when exemption reason code is {code}")
    def test(inv: Invoice) -> Found:
        for i, r in enumerate(inv.vat_breakdown):
            if (r.exemption_reason_code or "").upper() == code and (
                r.category or ""
            ).strip() != category:
                yield f"/vat_breakdown/{i}/category"


for _id, (_code, _category) in _EXEMPTION_CATEGORY.items():
    _exemption_rule(_id, _code, _category)


def _code_rule(rule_id: str, message: str, list_name: str, values) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        for pointer, value in values(inv):
            if value is not None and value.strip() not in codes(list_name):
                yield pointer


_code_rule(
    "PEPPOL-EN16931-CL001",
    "Mime code must be according to subset of IANA code list.",
    "MIME",
    lambda inv: (
        (f"/supporting_documents/{i}/attachment/mime_code", d.attachment.mime_code)
        for i, d in enumerate(inv.supporting_documents)
        if d.attachment
    ),
)
_code_rule(
    "PEPPOL-EN16931-CL002",
    "Reason code MUST be according to subset of UNCL 5189 D.16B.",
    "UNCL5189",
    lambda inv: (
        (f"{p}/reason_code", ac.reason_code) for p, ac in _all_allowances(inv) if not ac.is_charge
    ),
)
_code_rule(
    "PEPPOL-EN16931-CL003",
    "Reason code MUST be according to UNCL 7161 D.16B.",
    "UNCL7161",
    lambda inv: (
        (f"{p}/reason_code", ac.reason_code) for p, ac in _all_allowances(inv) if ac.is_charge
    ),
)
_code_rule(
    "PEPPOL-EN16931-CL006",
    "Invoice period description code must be according to UNCL 2005 D.16B.",
    "UNCL2005",
    lambda inv: [("/tax_point_date_code", inv.tax_point_date_code)],
)
_code_rule(
    "PEPPOL-EN16931-CL008",
    'Electronic address identifier scheme must be from the codelist "Electronic Address Identifier Scheme"',
    "PEPPOL-EAS",
    lambda inv: (
        (f"/{role}/electronic_address/scheme", getattr(inv, role).electronic_address.scheme)
        for role in ("seller", "buyer")
        if getattr(inv, role) and getattr(inv, role).electronic_address
    ),
)


# --- XML-level rules -------------------------------------------------------------------------------------


@reg.xml("PEPPOL-EN16931-R008", "Document MUST not contain empty elements.")
def r008(root: etree._Element) -> Found:
    tree = root.getroottree()
    for el in root.iter(etree.Element):
        if len(el) == 0 and not (el.text or "").strip():
            yield tree.getpath(el)


@reg.xml(
    "PEPPOL-EN16931-R051",
    "All currencyID attributes must have the same value as the invoice currency code (BT-5), except for the invoice total VAT amount in accounting currency (BT-111).",
)
def r051(root: etree._Element) -> Found:
    tree = root.getroottree()
    currency = (root.findtext(f"{{{CBC}}}DocumentCurrencyCode") or "").strip()
    for el in root.iter(etree.Element):
        value = el.get("currencyID")
        if value is None or value == currency:
            continue
        parent = el.getparent()
        # BT-111: the TaxAmount of a TaxTotal without subtotals may be in the tax currency
        if (
            etree.QName(el).localname == "TaxAmount"
            and parent is not None
            and etree.QName(parent).localname == "TaxTotal"
            # (elements only: a comment among the children has no name)
            and not any(
                etree.QName(c).localname == "TaxSubtotal"
                for c in parent.iterchildren(etree.Element)
            )
        ):
            continue
        yield tree.getpath(el)


@reg.xml("PEPPOL-EN16931-CL007", "Currency code must be according to ISO 4217:2005")
def cl007(root: etree._Element) -> Found:
    tree = root.getroottree()
    valid = codes("PEPPOL-ISO4217")
    for el in root.iter(etree.Element):
        value = el.get("currencyID")
        if value is not None and value not in valid:
            yield tree.getpath(el)


_DATES = frozenset(
    f"{{{CBC}}}{n}"
    for n in ("IssueDate", "DueDate", "TaxPointDate", "StartDate", "EndDate", "ActualDeliveryDate")
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@reg.xml("PEPPOL-EN16931-F001", "A date MUST be formatted YYYY-MM-DD.")
def f001(root: etree._Element) -> Found:
    tree = root.getroottree()
    for el in root.iter(*_DATES):
        if not _DATE.match(el.text or ""):
            yield tree.getpath(el)


@reg.xml(
    "PEPPOL-EN16931-R043", "Allowance/charge ChargeIndicator value MUST equal 'true' or 'false'"
)
def r043(root: etree._Element) -> Found:
    tree = root.getroottree()
    for el in root.iter(f"{{{CBC}}}ChargeIndicator"):
        parent = el.getparent()
        grand = parent.getparent() if parent is not None else None
        if grand is not None and etree.QName(grand).localname == "Price":
            continue  # price-level allowances are R044's concern
        if (el.text or "").strip() not in ("true", "false"):
            yield tree.getpath(el)


@reg.xml("PEPPOL-EN16931-R044", "Charge on price level is NOT allowed. Only value 'false' allowed.")
def r044(root: etree._Element) -> Found:
    tree = root.getroottree()
    for el in root.iter(f"{{{CBC}}}ChargeIndicator"):
        parent = el.getparent()
        grand = parent.getparent() if parent is not None else None
        if (
            grand is not None
            and etree.QName(grand).localname == "Price"
            and (el.text or "").strip() != "false"
        ):
            yield tree.getpath(el)


# --- identifier checks (PEPPOL-COMMON) --------------------------------------------------------------------


def _scheme_and_value(inv: Invoice) -> tuple[tuple[str, str, str], ...]:
    """Every identifier of ``_identifiers`` as (pointer, scheme, value), both stripped; read once
    per invoice for the six PEPPOL-COMMON rules."""
    return tuple(
        (pointer, (ident.scheme or "").strip(), (ident.value or "").strip())
        for pointer, ident in _identifiers(inv)
    )


_schemes_and_values = PerInvoice(_scheme_and_value)


def _identifiers(inv: Invoice):
    """Every EndpointID, PartyIdentification and legal CompanyID with its scheme."""
    for role in ("seller", "buyer"):
        party = getattr(inv, role)
        if party is None:
            continue
        if party.electronic_address:
            yield f"/{role}/electronic_address", party.electronic_address
        for i, ident in enumerate(party.identifiers):
            yield f"/{role}/identifiers/{i}", ident
        if party.legal_registration_id:
            yield f"/{role}/legal_registration_id", party.legal_registration_id
    if inv.payee:
        for field in ("identifier", "legal_registration_id"):
            ident = getattr(inv.payee, field)
            if ident:
                yield f"/payee/{field}", ident


def _common(rule_id: str, message: str, scheme: str, valid, flag=None) -> None:
    kwargs = {"flag": flag} if flag else {}

    @reg.rule(rule_id, message, **kwargs)
    def test(inv: Invoice) -> Found:
        for pointer, its_scheme, value in _schemes_and_values(inv):
            if its_scheme == scheme and not valid(value):
                yield f"{pointer}/value"


_common(
    "PEPPOL-COMMON-R040",
    "GLN must have a valid format according to GS1 rules.",
    "0088",
    lambda v: v.isdigit() and _checks.gln(v),
)
_common(
    "PEPPOL-COMMON-R041",
    "Norwegian organization number MUST be stated in the correct format.",
    "0192",
    lambda v: bool(re.fullmatch(r"\d{9}", v)) and _checks.mod11(v),
)
_common(
    "PEPPOL-COMMON-R042",
    "Danish organization number (CVR) MUST be stated in the correct format.",
    "0184",
    _checks.dk_cvr,
)
_common(
    "PEPPOL-COMMON-R043",
    "Belgian enterprise number MUST be stated in the correct format.",
    "0208",
    _checks.mod97_be,
)
_common(
    "PEPPOL-COMMON-R049",
    "Swedish organization number MUST be stated in the correct format.",
    "0007",
    _checks.se_orgnr,
)
_common(
    "PEPPOL-COMMON-R050",
    "Australian Business Number (ABN) MUST be stated in the correct format.",
    "0151",
    _checks.abn,
)


RULES = reg.rules
XML_RULES = reg.xml_rules
