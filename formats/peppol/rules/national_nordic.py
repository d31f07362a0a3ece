"""National rules of Peppol BIS 3.0.21 for Sweden (SE-R-*), Norway (NO-R-*) and Denmark (DK-R-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from formats.model import Invoice

from . import _checks
from ._helpers import WARNING, Registry

RULESET = "peppol"
reg = Registry()
Found = Iterator[str]


def _country(party) -> str | None:
    return (
        party.address.country_code.strip()
        if party and party.address and party.address.country_code
        else None
    )


def country_of(vat_holders, party) -> str:
    """A country as the Peppol rules derive it: the first VAT prefix among ``vat_holders``, else
    ``party``'s address, else 'XX'."""
    for holder in vat_holders:
        vat = holder.vat_id if holder else None
        if vat and vat.strip()[:2]:
            return vat.strip()[:2].upper()
    return (_country(party) or "XX").upper()


def supplier_country(inv: Invoice) -> str:
    """The Peppol rules' $supplierCountry: VAT prefix, else tax representative's, else address."""
    return country_of((inv.seller, inv.tax_representative), inv.seller)


def _swedish_vat_seller(inv: Invoice) -> bool:
    return _country(inv.seller) == "SE" and bool(
        inv.seller.vat_id and inv.seller.vat_id[:2] == "SE"
    )


def _number(text: str) -> bool:
    """XPath ``string(number(x)) != 'NaN'``: an optionally signed decimal number."""
    return bool(re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*", text))


@reg.rule("SE-R-001", "For Swedish suppliers, Swedish VAT-numbers must consist of 14 characters.")
def se001(inv: Invoice) -> Found:
    if _swedish_vat_seller(inv) and len(inv.seller.vat_id.strip()) != 14:
        yield "/seller/vat_id"


@reg.rule(
    "SE-R-002",
    "For Swedish suppliers, the Swedish VAT-numbers must have the trailing 12 characters in numeric form",
)
def se002(inv: Invoice) -> Found:
    if _swedish_vat_seller(inv) and not _number(inv.seller.vat_id[2:14]):
        yield "/seller/vat_id"


def _se_legal(inv: Invoice) -> str | None:
    if _country(inv.seller) == "SE" and inv.seller.legal_registration_id:
        return inv.seller.legal_registration_id.value
    return None


@reg.rule("SE-R-003", "Swedish organisation numbers should be numeric.")
def se003(inv: Invoice) -> Found:
    value = _se_legal(inv)
    if value is not None and not _number(value):
        yield "/seller/legal_registration_id/value"


@reg.rule("SE-R-004", "Swedish organisation numbers consist of 10 characters.")
def se004(inv: Invoice) -> Found:
    value = _se_legal(inv)
    if value is not None and len(value.strip()) != 10:
        yield "/seller/legal_registration_id/value"


@reg.rule(
    "SE-R-013",
    "The last digit of a Swedish organization number must be valid according to the Luhn algorithm.",
)
def se013(inv: Invoice) -> Found:
    value = _se_legal(inv)
    if value is not None and not (
        value.strip().isdigit() and _checks.se_orgnr(value.strip()[:10].ljust(10, "x"))
        if len(value.strip()) >= 10
        else False
    ):
        yield "/seller/legal_registration_id/value"


@reg.rule(
    "SE-R-005",
    "For Swedish suppliers, when using Seller tax registration identifier, 'Godkänd för F-skatt' must be stated",
)
def se005(inv: Invoice) -> Found:
    s = inv.seller
    registered = (
        _country(s) == "SE" and s.legal_registration_id and s.tax_registration_id is not None
    )
    if registered and s.tax_registration_id.strip().upper() != "GODKÄND FÖR F-SKATT":
        yield "/seller/tax_registration_id"


@reg.rule("SE-R-006", "For Swedish suppliers, only standard VAT rate of 6, 12 or 25 are used")
def se006(inv: Invoice) -> Found:
    if not _swedish_vat_seller(inv):
        return
    rates = [
        (f"/vat_breakdown/{i}/rate", r.category, r.rate) for i, r in enumerate(inv.vat_breakdown)
    ]
    rates += [
        (f"/allowances_charges/{i}/vat_rate", ac.vat_category, ac.vat_rate)
        for i, ac in enumerate(inv.allowances_charges)
    ]
    rates += [
        (f"/lines/{i}/item/vat_rate", ln.item.vat_category, ln.item.vat_rate)
        for i, ln in enumerate(inv.lines)
        if ln.item
    ]
    for pointer, category, rate in rates:
        if (category or "").strip() == "S" and rate not in (25, 12, 6):
            yield pointer


def _giro(inv: Invoice, marker: str):
    if _country(inv.seller) != "SE":
        return
    for i, m in enumerate(inv.payment_means):
        account = m.account
        if (
            (m.type_code or "").strip() == "30"
            and account
            and (account.service_provider_id or "").strip() == marker
            and account.id is not None
        ):
            yield f"/payment_means/{i}/account/id", account.id.strip()


@reg.rule(
    "SE-R-007", "For Swedish suppliers using Plusgiro, the Account ID must be numeric", WARNING
)
def se007(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:PLUSGIRO") if not _number(v))


@reg.rule(
    "SE-R-010",
    "For Swedish suppliers using Plusgiro, the Account ID must have 2-8 characters",
    WARNING,
)
def se010(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:PLUSGIRO") if not 2 <= len(v) <= 8)


@reg.rule(
    "SE-R-008", "For Swedish suppliers using Bankgiro, the Account ID must be numeric", WARNING
)
def se008(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:BANKGIRO") if not _number(v))


@reg.rule(
    "SE-R-009",
    "For Swedish suppliers using Bankgiro, the Account ID must have 7-8 characters",
    WARNING,
)
def se009(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:BANKGIRO") if len(v) not in (7, 8))


@reg.rule(
    "SE-R-011",
    "For Swedish suppliers using Swedish Bankgiro or Plusgiro, the proper way to indicate this is to use Code 30 for PaymentMeans and FinancialInstitutionBranch ID with code SE:BANKGIRO or SE:PLUSGIRO",
    WARNING,
)
def se011(inv: Invoice) -> Found:
    if _country(inv.seller) == "SE":
        yield from (
            f"/payment_means/{i}/type_code"
            for i, m in enumerate(inv.payment_means)
            if m.type_code in ("50", "56")
        )


@reg.rule(
    "SE-R-012",
    'For domestic transactions between Swedish trading partners, credit transfer should be indicated by PaymentMeansCode="30"',
    WARNING,
)
def se012(inv: Invoice) -> Found:
    if _country(inv.seller) == "SE" and _country(inv.buyer) == "SE":
        yield from (
            f"/payment_means/{i}/type_code"
            for i, m in enumerate(inv.payment_means)
            if m.type_code == "31"
        )


@reg.rule(
    "NO-R-001",
    "For Norwegian suppliers, a VAT number MUST be the country code prefix NO followed by a valid Norwegian organization number (nine numbers) followed by the letters MVA.",
)
def no001(inv: Invoice) -> Found:
    if supplier_country(inv) != "NO" or inv.seller is None:
        return
    vat = (inv.seller.vat_id or "").strip()
    if inv.seller.vat_id is not None and not (
        re.fullmatch(r"NO\d{9}MVA", vat) and _checks.mod11(vat[2:11])
    ):
        yield "/seller/vat_id"


@reg.rule(
    "NO-R-002",
    'For Norwegian suppliers, most invoice issuers are required to append "Foretaksregisteret" to their invoice.',
    WARNING,
)
def no002(inv: Invoice) -> Found:
    if (
        supplier_country(inv) == "NO"
        and inv.seller is not None
        and (inv.seller.tax_registration_id or "").strip() != "Foretaksregisteret"
    ):
        yield "/seller/tax_registration_id"


def _dk(inv: Invoice) -> bool:
    return _country(inv.seller) == "DK"


def _dk_both(inv: Invoice) -> bool:
    return _country(inv.seller) == "DK" and _country(inv.buyer) == "DK"


@reg.rule("DK-R-002", "Danish suppliers MUST provide legal entity (CVR-number)")
def dk002(inv: Invoice) -> Found:
    if _dk(inv) and not (
        inv.seller.legal_registration_id and (inv.seller.legal_registration_id.value or "").strip()
    ):
        yield "/seller/legal_registration_id"


@reg.rule(
    "DK-R-014",
    'For Danish Suppliers it is mandatory to specify schemeID as "0184" (DK CVR-number) when PartyLegalEntity/CompanyID is used for AccountingSupplierParty',
)
def dk014(inv: Invoice) -> Found:
    legal = inv.seller.legal_registration_id if inv.seller else None
    if _dk(inv) and legal is not None and (legal.scheme or "").strip() != "0184":
        yield "/seller/legal_registration_id/scheme"


@reg.rule(
    "DK-R-016", "For Danish Suppliers, a Credit note cannot have a negative total (PayableAmount)"
)
def dk016(inv: Invoice) -> Found:
    if (
        _dk_both(inv)
        and inv.is_credit_note
        and inv.totals
        and inv.totals.payable is not None
        and inv.totals.payable < 0
    ):
        yield "/totals/payable"


@reg.rule(
    "DK-R-017",
    'For Danish Customers it is mandatory to specify schemeID as "0184" (DK CVR-number) when PartyLegalEntity/CompanyID is used for AccountingCustomerParty',
)
def dk017(inv: Invoice) -> Found:
    legal = inv.buyer.legal_registration_id if inv.buyer else None
    if _dk_both(inv) and legal is not None and (legal.scheme or "").strip() != "0184":
        yield "/buyer/legal_registration_id/scheme"


@reg.rule(
    "DK-R-013",
    "For Danish Suppliers it is mandatory to use schemeID when PartyIdentification/ID is used for AccountingCustomerParty or AccountingSupplierParty",
)
def dk013(inv: Invoice) -> Found:
    if _dk_both(inv):
        for role in ("seller", "buyer"):
            for i, ident in enumerate(getattr(inv, role).identifiers):
                if not (ident.scheme or "").strip():
                    yield f"/{role}/identifiers/{i}/scheme"


@reg.rule(
    "DK-R-005",
    "For Danish suppliers the following Payment means codes are allowed: 1, 10, 31, 42, 48, 49, 50, 58, 59, 93 and 97",
)
def dk005(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        allowed = {"1", "10", "31", "42", "48", "49", "50", "58", "59", "93", "97"}
        yield from (
            f"/payment_means/{i}/type_code"
            for i, m in enumerate(inv.payment_means)
            if m.type_code not in allowed
        )


@reg.rule(
    "DK-R-006",
    "For Danish suppliers bank account and registration account is mandatory if payment means is 31 or 42",
)
def dk006(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        for i, m in enumerate(inv.payment_means):
            if m.type_code in ("31", "42") and not (
                m.account
                and (m.account.id or "").strip()
                and (m.account.service_provider_id or "").strip()
            ):
                yield f"/payment_means/{i}/account"


@reg.rule(
    "DK-R-007",
    "For Danish suppliers PaymentMandate/ID and PayerFinancialAccount/ID are mandatory when payment means is 49",
)
def dk007(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        for i, m in enumerate(inv.payment_means):
            d = m.direct_debit
            if m.type_code == "49" and not (
                d and (d.mandate_reference or "").strip() and (d.debited_account_id or "").strip()
            ):
                yield f"/payment_means/{i}/direct_debit"


@reg.rule(
    "DK-R-008",
    "For Danish Suppliers PaymentID is mandatory and MUST start with 01#, 04# or 15# (kortartkode), and PayeeFinancialAccount/ID (Giro kontonummer) is mandatory and must be 7 or 8 numerical characters long, when payment means equals 50 (Giro)",
)
def dk008(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        for i, m in enumerate(inv.payment_means):
            ref = m.remittance_information or ""
            account = (m.account.id if m.account else "") or ""
            if m.type_code == "50" and not (
                ref[:3] in ("01#", "04#", "15#") and re.fullmatch(r"\d{7,8}", account)
            ):
                yield f"/payment_means/{i}"


@reg.rule(
    "DK-R-009",
    'For Danish Suppliers if the PaymentID is prefixed with 04# or 15# the 16 digits instruction Id must be added to the PaymentID eg. "04#1234567890123456" when Payment means equals 50 (Giro)',
)
def dk009(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        for i, m in enumerate(inv.payment_means):
            ref = m.remittance_information or ""
            if m.type_code == "50" and ref[:3] in ("04#", "15#") and len(ref) != 19:
                yield f"/payment_means/{i}/remittance_information"


@reg.rule(
    "DK-R-010",
    "For Danish Suppliers using PaymentMeansCode 93, PaymentID is mandatory. The first three characters of the PaymentID MUST be 71#, 73# or 75# (kortartskode), and PayeeFinancialAccount/ID MUST be 8 characters long.",
)
def dk010(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        for i, m in enumerate(inv.payment_means):
            ref = m.remittance_information or ""
            account = (m.account.id if m.account else "") or ""
            if m.type_code == "93" and not (ref[:3] in ("71#", "73#", "75#") and len(account) == 8):
                yield f"/payment_means/{i}"


@reg.rule(
    "DK-R-011",
    'For Danish Suppliers if the PaymentID is prefixed with 71# or 75# the 15-16 digits instruction Id must be added to the PaymentID eg. "71#1234567890123456" when payment Method equals 93 (FIK)',
)
def dk011(inv: Invoice) -> Found:
    if _dk_both(inv) and not inv.is_credit_note:
        for i, m in enumerate(inv.payment_means):
            ref = m.remittance_information or ""
            if m.type_code == "93" and ref[:3] in ("71#", "75#") and len(ref) not in (18, 19):
                yield f"/payment_means/{i}/remittance_information"


@reg.rule(
    "DK-R-003",
    "If ItemClassification is provided from Danish suppliers, UNSPSC version 19.05.01 or 26.08.01 should be used.",
)
def dk003(inv: Invoice) -> Found:
    if _dk_both(inv):
        for i, ln in enumerate(inv.lines):
            for j, c in enumerate(ln.item.classifications if ln.item else ()):
                if c.list_id == "TST" and c.list_version not in (
                    "19.05.01",
                    "19.0501",
                    "26.08.01",
                    "26.0801",
                ):
                    yield f"/lines/{i}/item/classifications/{j}/list_version"


def _tax_reason_ok(reason: str | None) -> bool:
    text = " ".join((reason or "").split())
    if len(text) == 4:
        try:
            if 0 <= Decimal(text) <= 9999:
                return True
        except InvalidOperation:
            pass
    return "#" in text and not text.startswith("#") and not text.endswith("#")


@reg.rule(
    "DK-R-004",
    'When specifying non-VAT Taxes for Danish customers, Danish suppliers MUST use the AllowanceChargeReasonCode="ZZZ" and '
    "MUST be specified in AllowanceChargeReason; Either as the 4-digit Tax category or must include a #, but the # is not "
    "allowed as first and last character",
)
def dk004(inv: Invoice) -> Found:
    if not _dk_both(inv):
        return
    for i, ac in enumerate(inv.allowances_charges):
        if ac.reason_code == "ZZZ" and not _tax_reason_ok(ac.reason):
            yield f"/allowances_charges/{i}/reason"
    for i, ln in enumerate(inv.lines):
        for j, ac in enumerate(ln.allowances_charges):
            if ac.reason_code == "ZZZ" and not _tax_reason_ok(ac.reason):
                yield f"/lines/{i}/allowances_charges/{j}/reason"


RULES = reg.rules
