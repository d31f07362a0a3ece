"""EN 16931 VAT category rules: S, Z, E, AE, K (IC), G, O, L (AF, "IGIC") and M (AG, "IPSI"), -01 … -14.

The nine categories follow one pattern with per-category parameters (which VAT identifiers must
be present, what the rate must be, whether an exemption reason is required), so they are
generated from the table below rather than written out 90 times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from formats.model import Invoice

from ._helpers import PerInvoice, Registry, expected_tax_amounts, round2

RULESET = "en16931"
reg = Registry()
ZERO = Decimal(0)


@dataclass(frozen=True)
class Category:
    code: str
    prefix: str  #: rule id prefix: BR-<prefix>-NN
    name: str
    exactly_one: bool  #: -01: exactly one breakdown row (S: at least one)
    parties: str  #: -02…-04: "seller", "seller+buyer", "seller+buyer_vat", "seller_vat", "none"
    rate: str  #: -05…-07: "positive", "zero", "none", "non_negative"
    per_rate: bool  #: -08/-09 grouped by rate (S, L, M)
    exemption: bool  #: -10: exemption reason required (True) or forbidden (False)


CATEGORIES = (
    Category("S", "S", "Standard rated", False, "seller", "positive", True, False),
    Category("Z", "Z", "Zero rated", True, "seller", "zero", False, False),
    Category("E", "E", "Exempt from VAT", True, "seller", "zero", False, True),
    Category("AE", "AE", "Reverse charge", True, "seller+buyer", "zero", False, True),
    Category("K", "IC", "Intra-community supply", True, "seller+buyer_vat", "zero", False, True),
    Category("G", "G", "Export outside the EU", True, "seller_vat", "zero", False, True),
    Category("O", "O", "Not subject to VAT", True, "none", "none", False, True),
    Category("L", "AF", "IGIC", False, "seller", "non_negative", True, False),
    Category("M", "AG", "IPSI", False, "seller", "non_negative", True, False),
)


def _cat(value: str | None) -> str:
    return (value or "").strip()


def _categories_used(inv: Invoice) -> frozenset[str]:
    """The VAT category codes on the lines and the document level allowances and charges."""
    return frozenset(
        [_cat(ln.item.vat_category) for ln in inv.lines if ln.item]
        + [_cat(ac.vat_category) for ac in inv.allowances_charges]
    )


def _categories_anywhere(inv: Invoice) -> frozenset[str]:
    """… and on the VAT breakdown rows."""
    return _used_categories(inv) | {_cat(r.category) for r in inv.vat_breakdown}


_used_categories = PerInvoice(_categories_used)
_all_categories = PerInvoice(_categories_anywhere)


def _used(inv: Invoice, code: str) -> bool:
    return code in _used_categories(inv)


def _present(code: str) -> Callable[[Invoice], bool]:
    """The context of a category's rules: the code on a line, an allowance or charge, or a
    breakdown row. Every BR-<category> rule looks only at those."""

    def present(inv: Invoice) -> bool:
        return code in _all_categories(inv)

    return present


_PRESENT = {c.code: _present(c.code) for c in CATEGORIES}


def _sum_taxable_bases(inv: Invoice) -> tuple[dict[str, Decimal], dict[tuple, Decimal]]:
    """The line net amounts plus charges minus allowances, per VAT category and per category and
    rate, in document order (as BR-<category>-08 adds them)."""
    by_category: dict[str, Decimal] = {}
    by_category_and_rate: dict[tuple, Decimal] = {}

    def add(category: str | None, rate: Decimal | None, amount: Decimal) -> None:
        code = _cat(category)
        by_category[code] = by_category.get(code, ZERO) + amount
        if rate is not None:
            by_category_and_rate[code, rate] = by_category_and_rate.get((code, rate), ZERO) + amount

    for ln in inv.lines:
        if ln.item and ln.net_amount is not None:
            add(ln.item.vat_category, ln.item.vat_rate, ln.net_amount)
    for ac in inv.allowances_charges:
        if ac.amount is not None:
            add(ac.vat_category, ac.vat_rate, ac.amount if ac.is_charge else -ac.amount)
    return by_category, by_category_and_rate


_taxable_bases = PerInvoice(_sum_taxable_bases)


def _rows(inv: Invoice, code: str):
    return [(i, r) for i, r in enumerate(inv.vat_breakdown) if _cat(r.category) == code]


def _parties_ok(inv: Invoice, need: str) -> bool:
    seller, buyer, rep = inv.seller, inv.buyer, inv.tax_representative
    seller_any = bool(seller and (seller.vat_id or seller.tax_registration_id)) or bool(
        rep and rep.vat_id
    )
    seller_vat = bool(seller and seller.vat_id) or bool(rep and rep.vat_id)
    buyer_vat = bool(buyer and buyer.vat_id)
    buyer_legal = bool(buyer and buyer.legal_registration_id)
    if need == "seller":
        return seller_any
    if need == "seller_vat":
        return seller_vat
    if need == "seller+buyer":
        return seller_any and (buyer_vat or buyer_legal)
    if need == "seller+buyer_vat":
        return seller_vat and buyer_vat
    return not seller_vat and not buyer_vat  # "none": O must carry no VAT identifiers


def _rate_ok(rate: Decimal | None, kind: str) -> bool:
    if kind == "none":
        return rate is None
    if rate is None:
        return False
    return {"positive": rate > 0, "zero": rate == 0, "non_negative": rate >= 0}[kind]


def _define(c: Category) -> None:
    p = f"BR-{c.prefix}"
    rate_words = {
        "positive": "greater than zero",
        "zero": "0 (zero)",
        "none": "absent",
        "non_negative": "0 (zero) or greater",
    }[c.rate]

    @reg.rule(
        f"{p}-01",
        f'An Invoice that contains an Invoice line, a Document level allowance or charge where the VAT category code is "{c.name}" shall contain {"exactly one" if c.exactly_one else "at least one"} VAT breakdown (BG-23) with the VAT category code (BT-118) equal to "{c.name}".',
    )
    def r01(inv: Invoice) -> Iterator[str]:
        used, count = _used(inv, c.code), len(_rows(inv, c.code))
        if (
            (used and (count != 1 if c.exactly_one else count == 0))
            or (not used and count and c.code == "S")
            or (not used and count and c.code != "S")
        ):
            yield "/vat_breakdown"

    def party_rule(number: str, what: str, items: Callable[[Invoice], bool]) -> None:
        @reg.rule(
            f"{p}-{number}",
            f'An Invoice that contains {what} where the VAT category code is "{c.name}" shall {"not " if c.parties == "none" else ""}contain the required VAT identifiers of the Seller/Buyer.',
        )
        def rule(inv: Invoice) -> Iterator[str]:
            if items(inv) and not _parties_ok(inv, c.parties):
                yield "/seller/vat_id"

    party_rule(
        "02",
        "an Invoice line (BG-25)",
        lambda inv: any(ln.item and _cat(ln.item.vat_category) == c.code for ln in inv.lines),
    )
    party_rule(
        "03",
        "a Document level allowance (BG-20)",
        lambda inv: any(
            not ac.is_charge and _cat(ac.vat_category) == c.code for ac in inv.allowances_charges
        ),
    )
    party_rule(
        "04",
        "a Document level charge (BG-21)",
        lambda inv: any(
            ac.is_charge and _cat(ac.vat_category) == c.code for ac in inv.allowances_charges
        ),
    )

    @reg.rule(
        f"{p}-05",
        f'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "{c.name}" the Invoiced item VAT rate (BT-152) shall be {rate_words}.',
    )
    def r05(inv: Invoice) -> Iterator[str]:
        for i, ln in enumerate(inv.lines):
            if (
                ln.item
                and _cat(ln.item.vat_category) == c.code
                and not _rate_ok(ln.item.vat_rate, c.rate)
            ):
                yield f"/lines/{i}/item/vat_rate"

    for number, charge in (("06", False), ("07", True)):

        @reg.rule(
            f"{p}-{number}",
            f'In a Document level {"charge" if charge else "allowance"} where the VAT category code is "{c.name}" the VAT rate shall be {rate_words}.',
        )
        def r0607(inv: Invoice, charge: bool = charge) -> Iterator[str]:
            for i, ac in enumerate(inv.allowances_charges):
                if (
                    ac.is_charge == charge
                    and _cat(ac.vat_category) == c.code
                    and not _rate_ok(ac.vat_rate, c.rate)
                ):
                    yield f"/allowances_charges/{i}/vat_rate"

    @reg.rule(
        f"{p}-08",
        f'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "{c.name}" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes are "{c.name}".',
    )
    def r08(inv: Invoice) -> Iterator[str]:
        by_category, by_category_and_rate = _taxable_bases(inv)
        for i, row in _rows(inv, c.code):
            if row.taxable_amount is None:
                continue
            if c.per_rate:
                base = by_category_and_rate.get((c.code, row.rate), ZERO)
                if not (row.taxable_amount - 1 < round2(base) < row.taxable_amount + 1):
                    yield f"/vat_breakdown/{i}/taxable_amount"
            elif row.taxable_amount != by_category.get(c.code, ZERO):
                yield f"/vat_breakdown/{i}/taxable_amount"

    @reg.rule(
        f"{p}-09",
        f'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "{c.name}" shall {"equal the taxable amount multiplied by the rate" if c.per_rate else "be 0 (zero)"}.',
    )
    def r09(inv: Invoice) -> Iterator[str]:
        expected_amounts = expected_tax_amounts(inv)
        for i, row in _rows(inv, c.code):
            if row.tax_amount is None:
                continue
            if c.per_rate:
                expected = expected_amounts[i]
                if expected is None:
                    continue
                if not (abs(row.tax_amount) - 1 < expected < abs(row.tax_amount) + 1):
                    yield f"/vat_breakdown/{i}/tax_amount"
            elif row.tax_amount != 0:
                yield f"/vat_breakdown/{i}/tax_amount"

    @reg.rule(
        f"{p}-10",
        f'A VAT breakdown (BG-23) with VAT Category code (BT-118) "{c.name}" shall {"have" if c.exemption else "not have"} a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
    )
    def r10(inv: Invoice) -> Iterator[str]:
        for i, row in _rows(inv, c.code):
            has = bool(row.exemption_reason or row.exemption_reason_code)
            if has != c.exemption:
                yield f"/vat_breakdown/{i}/exemption_reason"


for category in CATEGORIES:
    with reg.within(_PRESENT[category.code]):
        _define(category)


def _only_o(rule_id: str, what: str, others: Callable[[Invoice], bool]) -> None:
    with reg.within(_PRESENT["O"]):
        _define_only_o(rule_id, what, others)


def _define_only_o(rule_id: str, what: str, others: Callable[[Invoice], bool]) -> None:
    @reg.rule(
        rule_id,
        f'An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain {what}.',
    )
    def rule(inv: Invoice) -> Iterator[str]:
        if _rows(inv, "O") and others(inv):
            yield "/vat_breakdown"


_only_o(
    "BR-O-11",
    "other VAT breakdown groups (BG-23)",
    lambda inv: any(_cat(r.category) != "O" for r in inv.vat_breakdown),
)
_only_o(
    "BR-O-12",
    'an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is not "Not subject to VAT"',
    lambda inv: any(
        ln.item and _cat(ln.item.vat_category) != "O"
        for ln in inv.lines
        if ln.item and ln.item.vat_category
    ),
)
_only_o(
    "BR-O-13",
    'Document level allowances (BG-20) where Document level allowance VAT category code (BT-95) is not "Not subject to VAT"',
    lambda inv: any(
        not ac.is_charge and ac.vat_category and _cat(ac.vat_category) != "O"
        for ac in inv.allowances_charges
    ),
)
_only_o(
    "BR-O-14",
    'Document level charges (BG-21) where Document level charge VAT category code (BT-102) is not "Not subject to VAT"',
    lambda inv: any(
        ac.is_charge and ac.vat_category and _cat(ac.vat_category) != "O"
        for ac in inv.allowances_charges
    ),
)


with reg.within(_PRESENT["K"]):

    @reg.rule(
        "BR-IC-11",
        'In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Intra-community supply" the Actual delivery date (BT-72) or the Invoicing period (BG-14) shall not be blank.',
    )
    def bric11(inv: Invoice) -> Iterator[str]:
        if (
            _rows(inv, "K")
            and not (inv.delivery and inv.delivery.actual_date)
            and inv.invoice_period is None
        ):
            yield "/delivery/actual_date"

    @reg.rule(
        "BR-IC-12",
        'In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Intra-community supply" the Deliver to country code (BT-80) shall not be blank.',
    )
    def bric12(inv: Invoice) -> Iterator[str]:
        if _rows(inv, "K") and not (
            inv.delivery and inv.delivery.address and inv.delivery.address.country_code
        ):
            yield "/delivery/address/country_code"


RULES = reg.rules
