"""The conversion report: which business terms of an invoice Svefaktura 1.0 cannot carry."""

from __future__ import annotations

from collections.abc import Callable

from formats.model import Invoice

_Check = Callable[[Invoice], bool]


def _lines(test: Callable[..., object]) -> _Check:
    return lambda inv: any(test(line) for line in inv.lines)


def _items(test: Callable[..., object]) -> _Check:
    return lambda inv: any(line.item is not None and test(line.item) for line in inv.lines)


def _parties(test: Callable[..., object]) -> _Check:
    return lambda inv: any(p is not None and test(p) for p in (inv.seller, inv.buyer))


#: (business term, what it is, whether the invoice carries it) for everything Svefaktura drops.
_DROPPED: tuple[tuple[str, str, _Check], ...] = (
    ("BT-6", "VAT accounting currency", lambda inv: bool(inv.tax_currency)),
    ("BT-8", "VAT point date code", lambda inv: bool(inv.tax_point_date_code)),
    ("BT-14", "sales order reference", lambda inv: bool(inv.sales_order_reference)),
    ("BT-15", "receiving advice reference", lambda inv: bool(inv.receiving_advice_reference)),
    ("BT-16", "despatch advice reference", lambda inv: bool(inv.despatch_advice_reference)),
    ("BT-17", "tender or lot reference", lambda inv: bool(inv.tender_reference)),
    ("BT-18", "invoiced object identifier", lambda inv: inv.invoiced_object_id is not None),
    ("BT-19", "buyer accounting reference", lambda inv: bool(inv.buyer_accounting_reference)),
    (
        "BT-13",
        "purchase order reference (kept only as buyer reference)",
        lambda inv: bool(inv.buyer_reference and inv.purchase_order_reference),
    ),
    ("BT-28", "trading name", _parties(lambda p: p.trading_name)),
    ("BT-34", "electronic address", _parties(lambda p: p.electronic_address and p.identifiers)),
    ("BT-29", "further party identifiers", _parties(lambda p: len(p.identifiers) > 1)),
    ("BG-11", "tax representative", lambda inv: inv.tax_representative is not None),
    ("BT-60", "payee identifier", lambda inv: bool(inv.payee and inv.payee.identifier)),
    ("BT-70", "deliver to party name", lambda inv: bool(inv.delivery and inv.delivery.party_name)),
    ("BT-71", "deliver to location", lambda inv: bool(inv.delivery and inv.delivery.location_id)),
    (
        "BG-14",
        "invoicing period with one end only",
        lambda inv: bool(
            inv.invoice_period and not (inv.invoice_period.start and inv.invoice_period.end)
        ),
    ),
    ("BG-18", "payment card", lambda inv: any(m.card for m in inv.payment_means)),
    ("BG-19", "direct debit", lambda inv: any(m.direct_debit for m in inv.payment_means)),
    ("BG-16", "payment means beyond the third", lambda inv: len(inv.payment_means) > 3),
    (
        "BT-97",
        "document allowance/charge reason",
        lambda inv: any(ac.reason or ac.reason_code for ac in inv.allowances_charges),
    ),
    ("BT-113", "paid amount", lambda inv: bool(inv.totals and inv.totals.prepaid)),
    (
        "BT-121",
        "VAT exemption reason code",
        lambda inv: any(
            r.exemption_reason_code and not r.exemption_reason for r in inv.vat_breakdown
        ),
    ),
    (
        "BT-118",
        "VAT categories other than S and E (written as E with a reason)",
        lambda inv: any(r.category not in ("S", "E") for r in inv.vat_breakdown),
    ),
    ("BG-24", "supporting documents and attachments", lambda inv: bool(inv.supporting_documents)),
    ("BT-128", "line object identifier", _lines(lambda ln: ln.object_id)),
    ("BT-133", "line buyer accounting reference", _lines(lambda ln: ln.accounting_reference)),
    ("BG-26", "line period", _lines(lambda ln: ln.period)),
    (
        "BG-27",
        "line allowances and charges (merged into one net amount)",
        _lines(
            lambda ln: (
                len(ln.allowances_charges) > 1
                or any(ac.reason or ac.reason_code for ac in ln.allowances_charges)
            )
        ),
    ),
    (
        "BT-147",
        "item price discount and gross price",
        _lines(lambda ln: ln.price and (ln.price.discount or ln.price.gross)),
    ),
    ("BT-158", "item classification", _items(lambda it: it.classifications)),
    ("BT-159", "item country of origin", _items(lambda it: it.origin_country)),
    ("BG-32", "item attributes", _items(lambda it: it.attributes)),
)


def dropped_terms(invoice: Invoice) -> tuple[str, ...]:
    """``"BT-19 buyer accounting reference"`` for each term the invoice has and Svefaktura drops."""
    return tuple(f"{bt} {what}" for bt, what, carried in _DROPPED if carried(invoice))
