"""Model → invoice PDF: jinja2 HTML (``templates/pdf``) rendered by WeasyPrint as PDF/A-3b with
the Peppol UBL embedded, so the PDF stays machine-readable.

The layout puts the buyer's address where a C5/DL window envelope shows it (left or right
window), carries everything a Nordic finance department checks (dates, terms, the late-interest
clause, VAT breakdown, Bankgiro/Plusgiro/IBAN with the OCR/KID reference, organisation and VAT
numbers, "Godkänd för F-skatt") and speaks the buyer's language (sv, nb, da, fi, en).

Rendering is CPU-bound: the gateway calls ``render_pdf`` in a process pool, never on the loop.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from .model import Invoice, complete
from .pdf_labels import BY_COUNTRY, LABELS, LANGUAGES

WINDOWS = {
    "left": ("20mm", "45mm"),
    "right": ("110mm", "45mm"),
}  # C5/DL window, from the page corner


@dataclass(frozen=True, slots=True)
class Branding:
    """Per-tenant look: a logo (PNG/JPEG/SVG bytes) and an accent colour."""

    logo: bytes | None = None
    logo_media_type: str = "image/png"
    colour: str = "#1f4e79"


def language_for(invoice: Invoice, override: str | None = None) -> str:
    if override in LANGUAGES:
        return override
    country = (
        invoice.buyer.address.country_code if invoice.buyer and invoice.buyer.address else None
    )
    return BY_COUNTRY.get((country or "").upper(), "en")


@cache
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fakturaport_templates", "pdf"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _formatters(language: str, currency: str | None) -> dict[str, Any]:
    from babel.dates import format_date
    from babel.numbers import format_decimal

    locale = {"sv": "sv_SE", "nb": "nb_NO", "da": "da_DK", "fi": "fi_FI", "en": "en_GB"}[language]

    def money(value: Decimal | None) -> str:
        return "" if value is None else format_decimal(value, format="#,##0.00", locale=locale)

    def number(value: Decimal | None) -> str:
        return "" if value is None else format_decimal(value, format="#,##0.####", locale=locale)

    def day(value: date | None) -> str:
        return (
            ""
            if value is None
            else format_date(
                value, format="yyyy-MM-dd" if language == "sv" else "medium", locale=locale
            )
        )

    return {"money": money, "number": number, "day": day, "currency": currency or ""}


def payment_lines(invoice: Invoice, labels: dict[str, str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for means in invoice.payment_means:
        account = means.account
        if account and account.id:
            if account.is_bankgiro:
                rows.append((labels["bankgiro"], account.id))
            elif account.is_plusgiro:
                rows.append((labels["plusgiro"], account.id))
            else:
                rows.append((labels["account"], account.id))
                if account.service_provider_id:
                    rows.append((labels["bic"], account.service_provider_id))
        if means.remittance_information:
            rows.append((labels["reference"], means.remittance_information))
    return list(dict.fromkeys(rows))


def f_tax_statement(invoice: Invoice) -> str | None:
    seller = invoice.seller
    for text in (seller.tax_registration_id, seller.legal_form) if seller else ():
        if text and "f-skatt" in text.lower():
            return text
    return None


def render_html(
    invoice: Invoice,
    *,
    language: str | None = None,
    branding: Branding | None = None,
    window: str = "left",
) -> str:
    invoice = complete(invoice)
    lang = language_for(invoice, language)
    labels = LABELS[lang]
    branding = branding or Branding()
    logo = None
    if branding.logo:
        logo = f"data:{branding.logo_media_type};base64,{base64.b64encode(branding.logo).decode()}"
    left, top = WINDOWS.get(window, WINDOWS["left"])
    seller_country = (
        invoice.seller.address.country_code if invoice.seller and invoice.seller.address else None
    )
    return (
        _environment()
        .get_template("invoice.html")
        .render(
            invoice=invoice,
            lang=lang,
            t=labels,
            f=_formatters(lang, invoice.currency),
            payments=payment_lines(invoice, labels),
            f_tax=f_tax_statement(invoice),
            late_interest=labels["late_interest"]
            if seller_country in ("SE", "NO", "DK", "FI")
            else None,
            logo=logo,
            colour=branding.colour,
            window_left=left,
            window_top=top,
            title=labels["credit_note"] if invoice.is_credit_note else labels["invoice"],
        )
    )


def _dedupe_af(document: Any, pdf: Any) -> None:
    """WeasyPrint lists the embedded file twice in the catalog's /AF array; keep it once."""
    import pydyf

    af = pdf.catalog.get("AF")
    if af:
        pdf.catalog["AF"] = pydyf.Array(list(dict.fromkeys(af)))


def render_pdf(
    invoice: Invoice,
    *,
    language: str | None = None,
    branding: Branding | None = None,
    window: str = "left",
    embed_ubl: bool = True,
) -> bytes:
    """The invoice as PDF/A-3b; with ``embed_ubl`` the Peppol UBL is attached as invoice.xml."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = render_html(invoice, language=language, branding=branding, window=window)
    attachments = []
    if embed_ubl:
        from .peppol.ubl_write import write

        attachments.append(
            weasyprint.Attachment(
                string=write(invoice),
                name="invoice.xml",
                description="Peppol BIS Billing 3.0 UBL",
                relationship="Alternative",
            )
        )
    return weasyprint.HTML(string=html).write_pdf(
        pdf_variant="pdf/a-3b", attachments=attachments, finisher=_dedupe_af
    )
