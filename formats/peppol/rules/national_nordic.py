"""National rules of Peppol BIS 3.0.21 for Sweden (SE-R-*) and Norway (NO-R-*); Denmark's are in
``national_dk``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from formats.model import Invoice

from . import _checks
from ._helpers import WARNING, Registry

RULESET = "peppol"
Found = Iterator[str]


def address_country(party) -> str | None:
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
    return (address_country(party) or "XX").upper()


def supplier_country(inv: Invoice) -> str:
    """The Peppol rules' $supplierCountry: VAT prefix, else tax representative's, else address."""
    return country_of((inv.seller, inv.tax_representative), inv.seller)


def _swedish_seller(inv: Invoice) -> bool:
    return address_country(inv.seller) == "SE"


def _norwegian_supplier(inv: Invoice) -> bool:
    return supplier_country(inv) == "NO"


#: Every SE rule is for a seller with a Swedish address, every NO rule for a Norwegian supplier.
sweden = Registry(context=_swedish_seller)
norway = Registry(context=_norwegian_supplier)


def _swedish_vat_seller(inv: Invoice) -> bool:
    return address_country(inv.seller) == "SE" and bool(
        inv.seller.vat_id and inv.seller.vat_id[:2] == "SE"
    )


def _number(text: str) -> bool:
    """XPath ``string(number(x)) != 'NaN'``: an optionally signed decimal number."""
    return bool(re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*", text))


@sweden.rule(
    "SE-R-001", "For Swedish suppliers, Swedish VAT-numbers must consist of 14 characters."
)
def se001(inv: Invoice) -> Found:
    if _swedish_vat_seller(inv) and len(inv.seller.vat_id.strip()) != 14:
        yield "/seller/vat_id"


@sweden.rule(
    "SE-R-002",
    "For Swedish suppliers, the Swedish VAT-numbers must have the trailing 12 characters in numeric form",
)
def se002(inv: Invoice) -> Found:
    if _swedish_vat_seller(inv) and not _number(inv.seller.vat_id[2:14]):
        yield "/seller/vat_id"


def _se_legal(inv: Invoice) -> str | None:
    if address_country(inv.seller) == "SE" and inv.seller.legal_registration_id:
        return inv.seller.legal_registration_id.value
    return None


@sweden.rule("SE-R-003", "Swedish organisation numbers should be numeric.")
def se003(inv: Invoice) -> Found:
    value = _se_legal(inv)
    if value is not None and not _number(value):
        yield "/seller/legal_registration_id/value"


@sweden.rule("SE-R-004", "Swedish organisation numbers consist of 10 characters.")
def se004(inv: Invoice) -> Found:
    value = _se_legal(inv)
    if value is not None and len(value.strip()) != 10:
        yield "/seller/legal_registration_id/value"


@sweden.rule(
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


@sweden.rule(
    "SE-R-005",
    "For Swedish suppliers, when using Seller tax registration identifier, 'Godkänd för F-skatt' must be stated",
)
def se005(inv: Invoice) -> Found:
    s = inv.seller
    registered = (
        address_country(s) == "SE" and s.legal_registration_id and s.tax_registration_id is not None
    )
    if registered and s.tax_registration_id.strip().upper() != "GODKÄND FÖR F-SKATT":
        yield "/seller/tax_registration_id"


@sweden.rule("SE-R-006", "For Swedish suppliers, only standard VAT rate of 6, 12 or 25 are used")
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
    if address_country(inv.seller) != "SE":
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


@sweden.rule(
    "SE-R-007", "For Swedish suppliers using Plusgiro, the Account ID must be numeric", WARNING
)
def se007(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:PLUSGIRO") if not _number(v))


@sweden.rule(
    "SE-R-010",
    "For Swedish suppliers using Plusgiro, the Account ID must have 2-8 characters",
    WARNING,
)
def se010(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:PLUSGIRO") if not 2 <= len(v) <= 8)


@sweden.rule(
    "SE-R-008", "For Swedish suppliers using Bankgiro, the Account ID must be numeric", WARNING
)
def se008(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:BANKGIRO") if not _number(v))


@sweden.rule(
    "SE-R-009",
    "For Swedish suppliers using Bankgiro, the Account ID must have 7-8 characters",
    WARNING,
)
def se009(inv: Invoice) -> Found:
    yield from (p for p, v in _giro(inv, "SE:BANKGIRO") if len(v) not in (7, 8))


@sweden.rule(
    "SE-R-011",
    "For Swedish suppliers using Swedish Bankgiro or Plusgiro, the proper way to indicate this is to use Code 30 for PaymentMeans and FinancialInstitutionBranch ID with code SE:BANKGIRO or SE:PLUSGIRO",
    WARNING,
)
def se011(inv: Invoice) -> Found:
    if address_country(inv.seller) == "SE":
        yield from (
            f"/payment_means/{i}/type_code"
            for i, m in enumerate(inv.payment_means)
            if m.type_code in ("50", "56")
        )


@sweden.rule(
    "SE-R-012",
    'For domestic transactions between Swedish trading partners, credit transfer should be indicated by PaymentMeansCode="30"',
    WARNING,
)
def se012(inv: Invoice) -> Found:
    if address_country(inv.seller) == "SE" and address_country(inv.buyer) == "SE":
        yield from (
            f"/payment_means/{i}/type_code"
            for i, m in enumerate(inv.payment_means)
            if m.type_code == "31"
        )


@norway.rule(
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


@norway.rule(
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


RULES = sweden.rules + norway.rules
