"""National rules of Peppol BIS 3.0.21 for Denmark (DK-R-*): they apply to a seller whose address
is in Denmark, most of them only when the buyer's is too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from formats.model import Invoice

from ._helpers import Registry
from .national_nordic import address_country

RULESET = "peppol"
Found = Iterator[str]


def _dk(inv: Invoice) -> bool:
    return address_country(inv.seller) == "DK"


reg = Registry(context=_dk)  # every DK rule needs a seller address in Denmark


def _dk_both(inv: Invoice) -> bool:
    return address_country(inv.seller) == "DK" and address_country(inv.buyer) == "DK"


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
