"""Payment references on outgoing invoices: an OCR (Sweden) or KID (Norway) when none is given.

The reference goes into BT-83 of every credit-transfer payment means, so the UBL, the PDF's
payment block and the open item all carry the same reference the bank will report back.
"""

from __future__ import annotations

from dataclasses import replace

from formats.model import Invoice

from .references import ReferenceError, kid, ocr

_CREDIT_TRANSFER = {"30", "31", "42", "58"}


def with_reference(invoice: Invoice) -> Invoice:
    means = invoice.payment_means
    if not means or any(m.remittance_information for m in means) or not invoice.number:
        return invoice
    country = (
        invoice.seller.address.country_code if invoice.seller and invoice.seller.address else None
    )
    digits = "".join(ch for ch in invoice.number if ch.isdigit())
    if not digits or len(digits) > 20:
        return invoice
    try:
        reference = ocr(digits) if country == "SE" else kid(digits) if country == "NO" else None
    except ReferenceError:
        return invoice
    if reference is None:
        return invoice
    return replace(
        invoice,
        payment_means=tuple(
            replace(m, remittance_information=reference) if m.type_code in _CREDIT_TRANSFER else m
            for m in means
        ),
    )


def reference_of(invoice: Invoice) -> str | None:
    return next(
        (m.remittance_information for m in invoice.payment_means if m.remittance_information), None
    )


def customer_of(invoice: Invoice) -> str | None:
    """The payer identity payments report: the buyer's organisation number, else VAT id, else name."""
    buyer = invoice.buyer
    if buyer is None:
        return None
    if buyer.legal_registration_id and buyer.legal_registration_id.value:
        return buyer.legal_registration_id.value
    return buyer.vat_id or buyer.name
