"""Payment files → payments to match: BgMax or camt.054, detected by content."""

from __future__ import annotations

from formats.bank import bgmax, camt054
from formats.errors import UnsupportedDocument

from .matching import IncomingPayment


def read_payments(data: bytes) -> tuple[str, list[IncomingPayment], dict[str, str]]:
    """(source, payments, booking date per payment id); errors name the line or element."""
    head = data.lstrip()[:64]
    if head.startswith(b"01BGMAX"):
        parsed = bgmax.parse(data)
        payments = [
            IncomingPayment(
                p.serial,
                p.amount,
                p.currency,
                p.reference or None,
                p.payer_org_number or p.sender_bankgiro,
            )
            for p in parsed.payments
        ]
        return (
            "bgmax",
            payments,
            {p.serial: p.payment_date.isoformat() for p in parsed.payments if p.payment_date},
        )
    if head.startswith(b"<"):
        parsed = camt054.parse(data)
        payments = [
            IncomingPayment(
                p.servicer_reference or p.location,
                p.amount,
                p.currency,
                p.reference or (" ".join(p.unstructured) or None),
                p.debtor_name,
            )
            for p in parsed
        ]
        return (
            "camt054",
            payments,
            {
                (p.servicer_reference or p.location): p.booking_date.isoformat()
                for p in parsed
                if p.booking_date
            },
        )
    raise UnsupportedDocument("not a BgMax or camt.054 payment file")
