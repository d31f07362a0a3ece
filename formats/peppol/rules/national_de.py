"""National rules of Peppol BIS 3.0.21 for Germany (DE-R-*): they apply when both the seller's and
the buyer's postal address is in Germany (the XRechnung requirements carried into Peppol)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from formats.model import Invoice

from . import Flag
from ._helpers import WARNING, Registry

RULESET = "peppol"
Found = Iterator[str]

_PHONE = re.compile(r".*([0-9].*){3,}.*")
_EMAIL = re.compile(r"^[^@\s]+@([^@.\s]+\.)+[^@.\s]+$")
_URL = re.compile(r"^([a-zA-Z])([a-zA-Z0-9+.-])+:.*")
_SKONTO = re.compile(
    r"#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$"
)
_VAT_CODES = {"S", "Z", "E", "AE", "K", "G", "L", "M"}
_TYPE_CODES = {"326", "380", "384", "389", "381", "875", "876", "877"}


def _in_de(party) -> bool:
    return bool(
        party and party.address and (party.address.country_code or "").strip().upper() == "DE"
    )


def _both(inv: Invoice) -> bool:
    return _in_de(inv.seller) and _in_de(inv.buyer)


reg = Registry(context=_both)


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def _iban_ok(value: str | None) -> bool:
    text = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}", text):
        return False
    rearranged = (text[4:] + text[:2].upper() + text[2:4]).upper()
    return int("".join(str(ord(c) - 55) if c.isalpha() else c for c in rearranged)) % 97 == 1


@reg.rule(
    "DE-R-001",
    'If both supplier and customer are located in Germany, an invoice shall contain information on "PAYMENT INSTRUCTIONS" (BG-16).',
)
def de001(inv: Invoice) -> Found:
    if _both(inv) and not inv.payment_means:
        yield "/payment_means"


@reg.rule(
    "DE-R-002",
    'If both supplier and customer are located in Germany, the group "SELLER CONTACT" (BG-6) shall be provided.',
)
def de002(inv: Invoice) -> Found:
    if _both(inv) and inv.seller.contact is None:
        yield "/seller/contact"


def _address_rule(rule: str, message: str, role: str, field: str) -> None:
    def test(inv: Invoice) -> Found:
        party = getattr(inv, role)
        if _both(inv) and _blank(getattr(party.address, field)):
            yield f"/{role}/address/{field}"

    reg.rule(rule, message)(test)


_address_rule(
    "DE-R-003",
    'If both supplier and customer are located in Germany, the element "Seller city" (BT-37) shall be provided.',
    "seller",
    "city",
)
_address_rule(
    "DE-R-004",
    'If both supplier and customer are located in Germany, the element "Seller post code" (BT-38) shall be provided.',
    "seller",
    "post_code",
)
_address_rule(
    "DE-R-008",
    'If both supplier and customer are located in Germany, the element "Buyer city" (BT-52) shall be provided.',
    "buyer",
    "city",
)
_address_rule(
    "DE-R-009",
    'If both supplier and customer are located in Germany, the element "Buyer post code" (BT-53) shall be provided.',
    "buyer",
    "post_code",
)


def _contact_rule(
    rule: str,
    message: str,
    field: str,
    pattern: re.Pattern[str] | None = None,
    flag: Flag | None = None,
) -> None:
    def test(inv: Invoice) -> Found:
        contact = inv.seller.contact if _both(inv) else None
        if contact is None:
            return
        value = " ".join((getattr(contact, field) or "").split())
        if (pattern is None and not value) or (pattern is not None and not pattern.match(value)):
            yield f"/seller/contact/{field}"

    (reg.rule(rule, message, flag=flag) if flag else reg.rule(rule, message))(test)


_contact_rule(
    "DE-R-005",
    'If both supplier and customer are located in Germany, the element "Seller contact point" (BT-41) shall be provided.',
    "name",
)
_contact_rule(
    "DE-R-006",
    'If both supplier and customer are located in Germany, the element "Seller contact telephone number" (BT-42) shall be provided.',
    "phone",
)
_contact_rule(
    "DE-R-007",
    'If both supplier and customer are located in Germany, the element "Seller contact email address" (BT-43) shall be provided.',
    "email",
)
_contact_rule(
    "DE-R-027",
    'If both supplier and customer are located in Germany, "Seller contact telephone number" (BT-42) should contain a valid telephone number. A valid telephone should consist of 3 digits minimum.',
    "phone",
    _PHONE,
    WARNING,
)
_contact_rule(
    "DE-R-028",
    'If both supplier and customer are located in Germany, "Seller contact email address" (BT-43) should contain exactly one @-sign, which should not be framed by a whitespace or a dot but by at least two characters on each side. A dot should not be the first or last character.',
    "email",
    _EMAIL,
    WARNING,
)


@reg.rule(
    "DE-R-010",
    'If both supplier and customer are located in Germany, the element "Deliver to city" (BT-77) shall be provided if the group "DELIVER TO ADDRESS" (BG-15) is delivered.',
)
def de010(inv: Invoice) -> Found:
    if _both(inv) and inv.delivery and inv.delivery.address and _blank(inv.delivery.address.city):
        yield "/delivery/address/city"


@reg.rule(
    "DE-R-011",
    'If both supplier and customer are located in Germany, the element "Deliver to post code" (BT-78) shall be provided if the group "DELIVER TO ADDRESS" (BG-15) is delivered.',
)
def de011(inv: Invoice) -> Found:
    if (
        _both(inv)
        and inv.delivery
        and inv.delivery.address
        and _blank(inv.delivery.address.post_code)
    ):
        yield "/delivery/address/post_code"


@reg.rule(
    "DE-R-014",
    'If both supplier and customer are located in Germany, the element "VAT category rate" (BT-119) shall be provided.',
)
def de014(inv: Invoice) -> Found:
    if _both(inv):
        yield from (
            f"/vat_breakdown/{i}/rate" for i, b in enumerate(inv.vat_breakdown) if b.rate is None
        )


@reg.rule(
    "DE-R-015",
    'If both supplier and customer are located in Germany, the element "Buyer reference" (BT-10) shall be provided.',
)
def de015(inv: Invoice) -> Found:
    if _both(inv) and _blank(inv.buyer_reference):
        yield "/buyer_reference"


@reg.rule(
    "DE-R-016",
    'If both supplier and customer are located in Germany, and if one of the VAT codes S, Z, E, AE, K, G, L, or M is used, an invoice shall contain at least one of the following elements: "Seller VAT identifier" (BT-31) or "Seller tax registration identifier" (BT-32) or "SELLER TAX REPRESENTATIVE PARTY" (BG-11).',
)
def de016(inv: Invoice) -> Found:
    if not _both(inv):
        return
    codes = {ac.vat_category for ac in inv.allowances_charges} | {
        ln.item.vat_category for ln in inv.lines if ln.item
    }
    has_id = not _blank(inv.seller.vat_id) or not _blank(inv.seller.tax_registration_id)
    if codes & _VAT_CODES and not has_id and inv.tax_representative is None:
        yield "/seller/vat_id"


@reg.rule(
    "DE-R-017",
    'If both supplier and customer are located in Germany, the element "Invoice type code" (BT-3) should only contain the following values from code list UNTDID 1001: 326 (Partial invoice), 380 (Commercial invoice), 384 (Corrected invoice), 389 (Self-billed invoice), 381 (Credit note), 875 (Partial construction invoice), 876 (Partial final construction invoice), 877 (Final construction invoice).',
    flag=WARNING,
)
def de017(inv: Invoice) -> Found:
    if _both(inv) and (inv.type_code or "").strip() not in _TYPE_CODES:
        yield "/type_code"


@reg.rule(
    "DE-R-018",
    'If both supplier and customer are located in Germany, information on cash discounts for prompt payment (Skonto) shall be provided within the element "Payment terms" BT-20 in the following way: First segment "SKONTO", second segment amount of days ("TAGE=N"), third segment percentage ("PROZENT=N"). Percentage must be separated by dot with two decimal places. In case the base value of the invoiced amount is not provided in BT-115 but as a partial amount, the base value shall be provided as fourth segment "BASISBETRAG=N" as semantic data type amount. Each entry shall start with a #, the segments must be separated by # and a row shall end with a #. A complete statement on cash discount for prompt payment shall end with a XML-conformant line break. All statements on cash discount for prompt payment shall be given in capital letters. Additional whitespaces (blanks, tabulators or line breaks) are not allowed. Other characters or texts than defined above are not allowed.',
)
def de018(inv: Invoice) -> Found:
    if not _both(inv) or not inv.payment_terms:
        return
    # The official rule also wants a line break after the last statement; the model keeps BT-20
    # without its trailing whitespace, so only the statements themselves are checked here.
    lines = [line for line in re.split(r"\r?\n", inv.payment_terms) if line.strip().startswith("#")]
    if not all(_SKONTO.search(" ".join(line.split())) for line in lines):
        yield "/payment_terms"


def _mandate(means) -> bool:
    """A PaymentMandate (BG-19) is present: the model also keeps BT-90 under direct debit, but
    the creditor id alone comes from the seller's identifiers, not from a mandate."""
    debit = means.direct_debit
    return debit is not None and not (
        _blank(debit.mandate_reference) and _blank(debit.debited_account_id)
    )


def _accounts(inv: Invoice, codes: set[str]):
    return ((i, m) for i, m in enumerate(inv.payment_means) if (m.type_code or "").strip() in codes)


@reg.rule(
    "DE-R-019",
    'If both supplier and customer are located in Germany, the element "Payment account identifier" (BT-84) should contain a valid IBAN if code 58 SEPA is provided in "Payment means type code" (BT-81).',
    flag=WARNING,
)
def de019(inv: Invoice) -> Found:
    if _both(inv):
        for i, m in _accounts(inv, {"58"}):
            if not _iban_ok(m.account.id if m.account else None):
                yield f"/payment_means/{i}/account/id"


@reg.rule(
    "DE-R-020",
    'If both supplier and customer are located in Germany, the element "Debited account identifier" (BT-91) should contain a valid IBAN if code 59 SEPA is provided in "Payment means type code" (BT-81).',
    flag=WARNING,
)
def de020(inv: Invoice) -> Found:
    if _both(inv):
        for i, m in _accounts(inv, {"59"}):
            if not _iban_ok(m.direct_debit.debited_account_id if m.direct_debit else None):
                yield f"/payment_means/{i}/direct_debit/debited_account_id"


@reg.rule(
    "DE-R-022",
    'If both supplier and customer are located in Germany, attached documents provided with an invoice in "ADDITIONAL SUPPORTING DOCUMENTS" (BG-24) shall have a unique filename (non case-sensitive) within the element ″Attached document″ (BT-125).',
)
def de022(inv: Invoice) -> Found:
    if not _both(inv):
        return
    seen: set[str] = set()
    for i, doc in enumerate(inv.supporting_documents):
        name = doc.attachment.filename if doc.attachment else None
        if name is None:
            continue
        if name in seen:
            yield f"/supporting_documents/{i}/attachment/filename"
        seen.add(name)


def _means_rule(
    rule: str, message: tuple[str, str], codes: set[str], need: str, forbid: tuple[str, ...]
) -> None:
    def present(means, part: str) -> bool:
        return _mandate(means) if part == "direct_debit" else getattr(means, part) is not None

    def required(inv: Invoice) -> Found:
        if _both(inv):
            yield from (
                f"/payment_means/{i}/{need}"
                for i, m in _accounts(inv, codes)
                if not present(m, need)
            )

    def exclusive(inv: Invoice) -> Found:
        if _both(inv):
            for i, m in _accounts(inv, codes):
                yield from (f"/payment_means/{i}/{other}" for other in forbid if present(m, other))

    reg.rule(f"{rule}-1", message[0])(required)
    reg.rule(f"{rule}-2", message[1])(exclusive)


_means_rule(
    "DE-R-023",
    (
        'If both supplier and customer are German, if "Payment means type code" (BT-81) contains a code for credit transfer (30, 58), "CREDIT TRANSFER" (BG-17) shall be provided.',
        'If both supplier and customer are located in Germany, and if "Payment means type code" (BT-81) contains a code for credit transfer (30, 58), BG-18 and BG-19 shall not be provided.',
    ),
    {"30", "58"},
    "account",
    ("card", "direct_debit"),
)
_means_rule(
    "DE-R-024",
    (
        'If both supplier and customer are located in Germany, and if "Payment means type code" (BT-81) contains a code for payment card (48, 54, 55), "PAYMENT CARD INFORMATION" (BG-18) shall be provided.',
        'If both supplier and customer are located in Germany, and if "Payment means type code" (BT-81) contains a code for payment card (48, 54, 55), BG-17 and BG-19 shall not be provided.',
    ),
    {"48", "54", "55"},
    "card",
    ("account", "direct_debit"),
)
_means_rule(
    "DE-R-025",
    (
        'If both supplier and customer are located in Germany, and if "Payment means type code" (BT-81) contains a code for direct debit (59), "DIRECT DEBIT" (BG-19) shall be provided.',
        'If both supplier and customer are located in Germany, and if "Payment means type code" (BT-81) contains a code for direct debit (59), BG-17 and BG-18 shall not be provided.',
    ),
    {"59"},
    "direct_debit",
    ("account", "card"),
)


@reg.rule(
    "DE-R-026",
    'If both supplier and customer are located in Germany, and if "Invoice type code" (BT-3) contains the code 384 (Corrected invoice), "PRECEDING INVOICE REFERENCE" (BG-3) should be provided at least once.',
    flag=WARNING,
)
def de026(inv: Invoice) -> Found:
    if _both(inv) and (inv.type_code or "").strip() == "384" and not inv.preceding_invoices:
        yield "/preceding_invoices"


@reg.rule(
    "DE-R-030",
    'If both supplier and customer are located in Germany, and if the group "DIRECT DEBIT" (BG-19) is delivered, the element "Bank assigned creditor identifier" (BT-90) shall be provided.',
)
def de030(inv: Invoice) -> Found:
    if _both(inv):
        for i, m in enumerate(inv.payment_means):
            if _mandate(m) and _blank(m.direct_debit.creditor_id):
                yield f"/payment_means/{i}/direct_debit/creditor_id"


@reg.rule(
    "DE-R-031",
    'If both supplier and customer are located in Germany, and if the group "DIRECT DEBIT" (BG-19) is delivered, the element "Debited account identifier" (BT-91) shall be provided.',
)
def de031(inv: Invoice) -> Found:
    if _both(inv):
        for i, m in enumerate(inv.payment_means):
            if _mandate(m) and _blank(m.direct_debit.debited_account_id):
                yield f"/payment_means/{i}/direct_debit/debited_account_id"


@reg.rule(
    "DE-R-T02",
    'If both supplier and customer are located in Germany, BT-124 "External document location" must contain an absolute URL with valid scheme.',
    flag=WARNING,
)
def de_t02(inv: Invoice) -> Found:
    if _both(inv):
        for i, doc in enumerate(inv.supporting_documents):
            if doc.url is not None and not _URL.match(doc.url):
                yield f"/supporting_documents/{i}/url"


RULES = reg.rules
