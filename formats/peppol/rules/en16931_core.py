"""EN 16931 core rules: mandatory business terms (BR-01…BR-65) and conditions (BR-CO-*).

Each rule is a generator over the model yielding the JSON pointer of every violation. The
arithmetic rules reproduce the official tests: XPath rounding to two decimals and the same
tolerances (BR-CO-17 allows a difference under one unit).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from formats.model import Invoice

from ._helpers import WARNING, Registry, blank, expected_tax_amounts, round2

RULESET = "en16931"
reg = Registry()
ZERO = Decimal(0)
Found = Iterator[str]


def _required(rule_id: str, message: str, pointer: str, getter) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        if blank(getter(inv)):
            yield pointer


_required(
    "BR-01",
    "An Invoice shall have a Specification identifier (BT-24).",
    "/customization_id",
    lambda i: i.customization_id,
)
_required("BR-02", "An Invoice shall have an Invoice number (BT-1).", "/number", lambda i: i.number)
_required(
    "BR-03",
    "An Invoice shall have an Invoice issue date (BT-2).",
    "/issue_date",
    lambda i: i.issue_date,
)
_required(
    "BR-04",
    "An Invoice shall have an Invoice type code (BT-3).",
    "/type_code",
    lambda i: i.type_code,
)
_required(
    "BR-05",
    "An Invoice shall have an Invoice currency code (BT-5).",
    "/currency",
    lambda i: i.currency,
)
_required(
    "BR-06",
    "An Invoice shall contain the Seller name (BT-27).",
    "/seller/name",
    lambda i: i.seller and i.seller.name,
)
_required(
    "BR-07",
    "An Invoice shall contain the Buyer name (BT-44).",
    "/buyer/name",
    lambda i: i.buyer and i.buyer.name,
)


@reg.rule("BR-08", "An Invoice shall contain the Seller postal address.")
def br08(inv: Invoice) -> Found:
    if inv.seller is None or inv.seller.address is None:
        yield "/seller"


@reg.rule("BR-09", "The Seller postal address (BG-5) shall contain a Seller country code (BT-40).")
def br09(inv: Invoice) -> Found:
    if inv.seller and inv.seller.address and blank(inv.seller.address.country_code):
        yield "/seller/address"


@reg.rule("BR-10", "An Invoice shall contain the Buyer postal address (BG-8).")
def br10(inv: Invoice) -> Found:
    if inv.buyer is None or inv.buyer.address is None:
        yield "/buyer"


@reg.rule("BR-11", "The Buyer postal address shall contain a Buyer country code (BT-55).")
def br11(inv: Invoice) -> Found:
    if inv.buyer and inv.buyer.address and blank(inv.buyer.address.country_code):
        yield "/buyer/address"


def _total(rule_id: str, message: str, field: str) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        if inv.totals is not None and getattr(inv.totals, field) is None:
            yield f"/totals/{field}"


_total(
    "BR-12", "An Invoice shall have the Sum of Invoice line net amount (BT-106).", "line_net_total"
)
_total(
    "BR-13", "An Invoice shall have the Invoice total amount without VAT (BT-109).", "tax_exclusive"
)
_total(
    "BR-14", "An Invoice shall have the Invoice total amount with VAT (BT-112).", "tax_inclusive"
)
_total("BR-15", "An Invoice shall have the Amount due for payment (BT-115).", "payable")


@reg.rule("BR-16", "An Invoice shall have at least one Invoice line (BG-25)")
def br16(inv: Invoice) -> Found:
    if not inv.lines:
        yield "/lines"


@reg.rule(
    "BR-17",
    "The Payee name (BT-59) shall be provided in the Invoice, if the Payee (BG-10) is different from the Seller (BG-4)",
)
def br17(inv: Invoice) -> Found:
    payee = inv.payee
    if payee is None:
        return
    seller_ids = {i.value for i in inv.seller.identifiers} if inv.seller else set()
    same_name = (
        inv.seller is not None and payee.name is not None and payee.name == inv.seller.trading_name
    )
    same_id = payee.identifier is not None and payee.identifier.value in seller_ids
    if payee.name is None or same_name or same_id:
        yield "/payee/name"


@reg.rule(
    "BR-18",
    "The Seller tax representative name (BT-62) shall be provided in the Invoice, if the Seller (BG-4) has a Seller tax representative party (BG-11)",
)
def br18(inv: Invoice) -> Found:
    if inv.tax_representative is not None and blank(inv.tax_representative.name):
        yield "/tax_representative/name"


@reg.rule(
    "BR-19",
    "The Seller tax representative postal address (BG-12) shall be provided in the Invoice, if the Seller (BG-4) has a Seller tax representative party (BG-11).",
)
def br19(inv: Invoice) -> Found:
    if inv.tax_representative is not None and inv.tax_representative.address is None:
        yield "/tax_representative"


@reg.rule(
    "BR-20",
    "The Seller tax representative postal address (BG-12) shall contain a Tax representative country code (BT-69), if the Seller (BG-4) has a Seller tax representative party (BG-11).",
)
def br20(inv: Invoice) -> Found:
    rep = inv.tax_representative
    if rep is not None and rep.address is not None and blank(rep.address.country_code):
        yield "/tax_representative/address"


def _line_rule(rule_id: str, message: str, suffix: str, failing) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        for i, line in enumerate(inv.lines):
            if failing(line):
                yield f"/lines/{i}{suffix}"


_line_rule(
    "BR-21",
    "Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126).",
    "/id",
    lambda ln: blank(ln.id),
)
_line_rule(
    "BR-22",
    "Each Invoice line (BG-25) shall have an Invoiced quantity (BT-129).",
    "/quantity",
    lambda ln: ln.quantity is None,
)
_line_rule(
    "BR-23",
    "An Invoice line (BG-25) shall have an Invoiced quantity unit of measure code (BT-130).",
    "/unit_code",
    lambda ln: blank(ln.unit_code),
)
_line_rule(
    "BR-24",
    "Each Invoice line (BG-25) shall have an Invoice line net amount (BT-131).",
    "/net_amount",
    lambda ln: ln.net_amount is None,
)
_line_rule(
    "BR-25",
    "Each Invoice line (BG-25) shall contain the Item name (BT-153).",
    "/item/name",
    lambda ln: ln.item is None or blank(ln.item.name),
)
_line_rule(
    "BR-26",
    "Each Invoice line (BG-25) shall contain the Item net price (BT-146).",
    "/price/net",
    lambda ln: ln.price is None or ln.price.net is None,
)
_line_rule(
    "BR-27",
    "The Item net price (BT-146) shall NOT be negative.",
    "/price/net",
    lambda ln: ln.price is not None and ln.price.net is not None and ln.price.net < 0,
)
_line_rule(
    "BR-28",
    "The Item gross price (BT-148) shall NOT be negative.",
    "/price/gross",
    lambda ln: ln.price is not None and ln.price.gross is not None and ln.price.gross < 0,
)
_line_rule(
    "BR-30",
    "If both Invoice line period start date (BT-134) and Invoice line period end date (BT-135) are given then the Invoice line period end date (BT-135) shall be later or equal to the Invoice line period start date (BT-134).",
    "/period/end",
    lambda ln: (
        ln.period is not None
        and ln.period.start
        and ln.period.end
        and ln.period.end < ln.period.start
    ),
)
_line_rule(
    "BR-CO-04",
    "Each Invoice line (BG-25) shall be categorized with an Invoiced item VAT category code (BT-151).",
    "/item/vat_category",
    lambda ln: ln.item is None or blank(ln.item.vat_category),
)
_line_rule(
    "BR-CO-20",
    "If Invoice line period (BG-26) is used, the Invoice line period start date (BT-134) or the Invoice line period end date (BT-135) shall be filled, or both.",
    "/period",
    lambda ln: ln.period is not None and ln.period.start is None and ln.period.end is None,
)


@reg.rule(
    "BR-29",
    "If both Invoicing period start date (BT-73) and Invoicing period end date (BT-74) are given then the Invoicing period end date (BT-74) shall be later or equal to the Invoicing period start date (BT-73).",
)
def br29(inv: Invoice) -> Found:
    p = inv.invoice_period
    if p is not None and p.start and p.end and p.end < p.start:
        yield "/invoice_period/end"


def _allowance_rules(
    charge: bool, ids: tuple[str, str, str, str], group: str, terms: tuple[str, str, str]
) -> None:
    amount_id, category_id, reason_id, co_id = ids
    kind = "charge" if charge else "allowance"

    def mine(inv: Invoice):
        return ((i, ac) for i, ac in enumerate(inv.allowances_charges) if ac.is_charge == charge)

    @reg.rule(
        amount_id,
        f"Each Document level {kind} ({group}) shall have a Document level {kind} amount ({terms[0]}).",
    )
    def amount(inv: Invoice) -> Found:
        yield from (f"/allowances_charges/{i}/amount" for i, ac in mine(inv) if ac.amount is None)

    @reg.rule(
        category_id,
        f"Each Document level {kind} ({group}) shall have a Document level {kind} VAT category code ({terms[1]}).",
    )
    def category(inv: Invoice) -> Found:
        yield from (
            f"/allowances_charges/{i}/vat_category" for i, ac in mine(inv) if blank(ac.vat_category)
        )

    for rule_id in (reason_id, co_id):

        @reg.rule(
            rule_id,
            f"Each Document level {kind} ({group}) shall have a Document level {kind} reason ({terms[2]}) or a reason code.",
        )
        def reason(inv: Invoice) -> Found:
            yield from (
                f"/allowances_charges/{i}/reason"
                for i, ac in mine(inv)
                if blank(ac.reason) and blank(ac.reason_code)
            )


_allowance_rules(
    False, ("BR-31", "BR-32", "BR-33", "BR-CO-21"), "BG-20", ("BT-92", "BT-95", "BT-97")
)
_allowance_rules(
    True, ("BR-36", "BR-37", "BR-38", "BR-CO-22"), "BG-21", ("BT-99", "BT-102", "BT-104")
)


def _line_allowance_rules(charge: bool, ids: tuple[str, str, str]) -> None:
    amount_id, reason_id, co_id = ids
    kind = "charge" if charge else "allowance"

    def mine(inv: Invoice):
        for i, line in enumerate(inv.lines):
            for j, ac in enumerate(line.allowances_charges):
                if ac.is_charge == charge:
                    yield f"/lines/{i}/allowances_charges/{j}", ac

    @reg.rule(amount_id, f"Each Invoice line {kind} shall have an Invoice line {kind} amount.")
    def amount(inv: Invoice) -> Found:
        yield from (f"{p}/amount" for p, ac in mine(inv) if ac.amount is None)

    for rule_id in (reason_id, co_id):

        @reg.rule(
            rule_id,
            f"Each Invoice line {kind} shall have an Invoice line {kind} reason or an Invoice line {kind} reason code.",
        )
        def reason(inv: Invoice) -> Found:
            yield from (
                f"{p}/reason" for p, ac in mine(inv) if blank(ac.reason) and blank(ac.reason_code)
            )


_line_allowance_rules(False, ("BR-41", "BR-42", "BR-CO-23"))
_line_allowance_rules(True, ("BR-43", "BR-44", "BR-CO-24"))


def _breakdown(rule_id: str, message: str, suffix: str, failing) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        for i, row in enumerate(inv.vat_breakdown):
            if failing(row):
                yield f"/vat_breakdown/{i}{suffix}"


_breakdown(
    "BR-45",
    "Each VAT breakdown (BG-23) shall have a VAT category taxable amount (BT-116).",
    "/taxable_amount",
    lambda r: r.taxable_amount is None,
)
_breakdown(
    "BR-46",
    "Each VAT breakdown (BG-23) shall have a VAT category tax amount (BT-117).",
    "/tax_amount",
    lambda r: r.tax_amount is None,
)
_breakdown(
    "BR-47",
    "Each VAT breakdown (BG-23) shall be defined through a VAT category code (BT-118).",
    "/category",
    lambda r: blank(r.category),
)
_breakdown(
    "BR-48",
    "Each VAT breakdown (BG-23) shall have a VAT category rate (BT-119), except if the Invoice is not subject to VAT.",
    "/rate",
    lambda r: r.rate is None and (r.category or "").strip() != "O",
)


@reg.rule(
    "BR-49", "A Payment instruction (BG-16) shall specify the Payment means type code (BT-81)."
)
def br49(inv: Invoice) -> Found:
    yield from (
        f"/payment_means/{i}/type_code"
        for i, m in enumerate(inv.payment_means)
        if blank(m.type_code)
    )


@reg.rule(
    "BR-50",
    "A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17) information is provided in the Invoice.",
)
def br50(inv: Invoice) -> Found:
    for i, m in enumerate(inv.payment_means):
        if (
            (m.type_code or "").strip() in ("30", "58")
            and m.account is not None
            and blank(m.account.id)
        ):
            yield f"/payment_means/{i}/account/id"


@reg.rule(
    "BR-51",
    "In accordance with card payments security standards an invoice should never include a full card primary account number (BT-87). At the moment PCI Security Standards Council has defined that the first 6 digits and last 4 digits are the maximum number of digits to be shown.",
    WARNING,
)
def br51(inv: Invoice) -> Found:
    for i, m in enumerate(inv.payment_means):
        if (
            m.card
            and m.card.primary_account_number
            and len(m.card.primary_account_number.strip()) > 10
        ):
            yield f"/payment_means/{i}/card/primary_account_number"


@reg.rule(
    "BR-52",
    "Each Additional supporting document (BG-24) shall contain a Supporting document reference (BT-122).",
)
def br52(inv: Invoice) -> Found:
    yield from (
        f"/supporting_documents/{i}/id"
        for i, d in enumerate(inv.supporting_documents)
        if blank(d.id)
    )


@reg.rule(
    "BR-53",
    "If the VAT accounting currency code (BT-6) is present, then the Invoice total VAT amount in accounting currency (BT-111) shall be provided.",
)
def br53(inv: Invoice) -> Found:
    if not blank(inv.tax_currency) and (
        inv.totals is None or inv.totals.vat_total_tax_currency is None
    ):
        yield "/totals/vat_total_tax_currency"


@reg.rule(
    "BR-54",
    "Each Item attribute (BG-32) shall contain an Item attribute name (BT-160) and an Item attribute value (BT-161).",
)
def br54(inv: Invoice) -> Found:
    for i, line in enumerate(inv.lines):
        for j, a in enumerate(line.item.attributes if line.item else ()):
            if a.name is None or a.value is None:
                yield f"/lines/{i}/item/attributes/{j}"


@reg.rule(
    "BR-55",
    "Each Preceding Invoice reference (BG-3) shall contain a Preceding Invoice reference (BT-25).",
)
def br55(inv: Invoice) -> Found:
    yield from (
        f"/preceding_invoices/{i}/id" for i, p in enumerate(inv.preceding_invoices) if p.id is None
    )


@reg.rule(
    "BR-56",
    "Each Seller tax representative party (BG-11) shall have a Seller tax representative VAT identifier (BT-63).",
)
def br56(inv: Invoice) -> Found:
    if inv.tax_representative is not None and blank(inv.tax_representative.vat_id):
        yield "/tax_representative/vat_id"


@reg.rule(
    "BR-57", "Each Deliver to address (BG-15) shall contain a Deliver to country code (BT-80)."
)
def br57(inv: Invoice) -> Found:
    if inv.delivery and inv.delivery.address and inv.delivery.address.country_code is None:
        yield "/delivery/address/country_code"


@reg.rule(
    "BR-61",
    "If the Payment means type code (BT-81) means SEPA credit transfer, Local credit transfer or Non-SEPA international credit transfer, the Payment account identifier (BT-84) shall be present.",
)
def br61(inv: Invoice) -> Found:
    for i, m in enumerate(inv.payment_means):
        if (m.type_code or "").strip() in ("30", "58") and (
            m.account is None or m.account.id is None
        ):
            yield f"/payment_means/{i}/account/id"


def _scheme(rule_id: str, message: str, pointer: str, getter) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        identifier = getter(inv)
        if identifier is not None and identifier.scheme is None:
            yield pointer


_scheme(
    "BR-62",
    "The Seller electronic address (BT-34) shall have a Scheme identifier.",
    "/seller/electronic_address/scheme",
    lambda i: i.seller and i.seller.electronic_address,
)
_scheme(
    "BR-63",
    "The Buyer electronic address (BT-49) shall have a Scheme identifier.",
    "/buyer/electronic_address/scheme",
    lambda i: i.buyer and i.buyer.electronic_address,
)


@reg.rule("BR-64", "The Item standard identifier (BT-157) shall have a Scheme identifier.")
def br64(inv: Invoice) -> Found:
    for i, line in enumerate(inv.lines):
        if line.item and line.item.standard_id and line.item.standard_id.scheme is None:
            yield f"/lines/{i}/item/standard_id/scheme"


@reg.rule("BR-65", "The Item classification identifier (BT-158) shall have a Scheme identifier.")
def br65(inv: Invoice) -> Found:
    for i, line in enumerate(inv.lines):
        for j, c in enumerate(line.item.classifications if line.item else ()):
            if c.list_id is None:
                yield f"/lines/{i}/item/classifications/{j}/list_id"


# --- conditions and arithmetic (BR-CO) -----------------------------------------------------------------


@reg.rule(
    "BR-CO-03",
    "Value added tax point date (BT-7) and Value added tax point date code (BT-8) are mutually exclusive.",
)
def brco03(inv: Invoice) -> Found:
    if inv.tax_point_date is not None and not blank(inv.tax_point_date_code):
        yield "/tax_point_date"


@reg.rule(
    "BR-CO-10", "Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131)."
)
def brco10(inv: Invoice) -> Found:
    t = inv.totals
    if t is None or t.line_net_total is None:
        return
    total = sum((ln.net_amount for ln in inv.lines if ln.net_amount is not None), ZERO)
    if t.line_net_total != round2(total):
        yield "/totals/line_net_total"


def _sum_rule(rule_id: str, message: str, field: str, charge: bool) -> None:
    @reg.rule(rule_id, message)
    def test(inv: Invoice) -> Found:
        t = inv.totals
        given = getattr(t, field) if t else None
        items = [ac for ac in inv.allowances_charges if ac.is_charge == charge]
        if given is None:
            if items and t is not None:
                yield f"/totals/{field}"
            return
        if given != round2(sum((ac.amount for ac in items if ac.amount is not None), ZERO)):
            yield f"/totals/{field}"


_sum_rule(
    "BR-CO-11",
    "Sum of allowances on document level (BT-107) = Σ Document level allowance amount (BT-92).",
    "allowance_total",
    False,
)
_sum_rule(
    "BR-CO-12",
    "Sum of charges on document level (BT-108) = Σ Document level charge amount (BT-99).",
    "charge_total",
    True,
)


@reg.rule(
    "BR-CO-13",
    "Invoice total amount without VAT (BT-109) = Σ Invoice line net amount (BT-131) - Sum of allowances on document level (BT-107) + Sum of charges on document level (BT-108).",
)
def brco13(inv: Invoice) -> Found:
    t = inv.totals
    if t is None or t.tax_exclusive is None or t.line_net_total is None:
        if t is not None and t.tax_exclusive is not None:
            yield "/totals/tax_exclusive"
        return
    expected = round2(t.line_net_total + (t.charge_total or ZERO) - (t.allowance_total or ZERO))
    if t.tax_exclusive != expected:
        yield "/totals/tax_exclusive"


@reg.rule("BR-CO-14", "Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).")
def brco14(inv: Invoice) -> Found:
    t = inv.totals
    if not inv.vat_breakdown or t is None or t.vat_total is None:
        return
    if t.vat_total != round2(
        sum((r.tax_amount for r in inv.vat_breakdown if r.tax_amount is not None), ZERO)
    ):
        yield "/totals/vat_total"


@reg.rule(
    "BR-CO-15",
    "Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).",
)
def brco15(inv: Invoice) -> Found:
    t = inv.totals
    if inv.currency is None or t is None:
        return
    if (
        t.vat_total is None
        or t.tax_inclusive is None
        or t.tax_exclusive is None
        or t.tax_inclusive != round2(t.tax_exclusive + t.vat_total)
    ):
        yield "/totals/tax_inclusive"


@reg.rule(
    "BR-CO-16",
    "Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) -Paid amount (BT-113) +Rounding amount (BT-114).",
)
def brco16(inv: Invoice) -> Found:
    t = inv.totals
    if t is None or t.payable is None or t.tax_inclusive is None:
        if t is not None and t.payable is not None:
            yield "/totals/payable"
        return
    expected = t.tax_inclusive - (t.prepaid or ZERO) + (t.rounding or ZERO)
    if t.prepaid is None and t.rounding is None:
        ok = t.payable == t.tax_inclusive
    else:
        ok = t.payable == round2(expected)
    if not ok:
        yield "/totals/payable"


@reg.rule(
    "BR-CO-17",
    "VAT category tax amount (BT-117) = VAT category taxable amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals.",
)
def brco17(inv: Invoice) -> Found:
    for i, (r, expected) in enumerate(
        zip(inv.vat_breakdown, expected_tax_amounts(inv), strict=True)
    ):
        if r.tax_amount is None or r.taxable_amount is None:
            continue
        rate = r.rate
        if rate is None:
            continue  # BR-48 reports the missing rate
        if round(rate) == 0:
            if round(r.tax_amount) != 0:
                yield f"/vat_breakdown/{i}/tax_amount"
            continue
        if not (abs(r.tax_amount) - 1 < expected < abs(r.tax_amount) + 1):
            yield f"/vat_breakdown/{i}/tax_amount"


@reg.rule("BR-CO-18", "An Invoice shall at least have one VAT breakdown group (BG-23).")
def brco18(inv: Invoice) -> Found:
    if not inv.vat_breakdown:
        yield "/vat_breakdown"


@reg.rule(
    "BR-CO-19",
    "If Invoicing period (BG-14) is used, the Invoicing period start date (BT-73) or the Invoicing period end date (BT-74) shall be filled, or both.",
)
def brco19(inv: Invoice) -> Found:
    p = inv.invoice_period
    if p is not None and p.start is None and p.end is None and blank(inv.tax_point_date_code):
        yield "/invoice_period"


@reg.rule(
    "BR-CO-25",
    "In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) or the Payment terms (BT-20) shall be present.",
)
def brco25(inv: Invoice) -> Found:
    t = inv.totals
    if (
        t
        and t.payable is not None
        and t.payable > 0
        and inv.due_date is None
        and blank(inv.payment_terms)
    ):
        yield "/due_date"


@reg.rule(
    "BR-CO-26",
    "In order for the buyer to automatically identify a supplier, the Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present.",
)
def brco26(inv: Invoice) -> Found:
    s = inv.seller
    if s is not None and not s.identifiers and s.legal_registration_id is None and blank(s.vat_id):
        yield "/seller"


RULES = reg.rules
XML_RULES = reg.xml_rules
