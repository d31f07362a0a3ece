"""A payment reminder as PDF: the invoice's open amount, the fees and interest to date with their
legal basis, and the reference to pay with — in the reader's language (sv, nb, da, fi, en).

Pure like ``pdf.py``, whose environment, number formats and window-envelope layout it shares;
the amounts arrive computed (``gateway.receivables``), the template only shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .pdf import WINDOWS, _environment, _formatters
from .pdf_labels import LANGUAGES
from .reminder_labels import LABELS


@dataclass(frozen=True, slots=True)
class InterestLine:
    start: date
    end: date
    days: int
    rate: Decimal  #: percent per year
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ReminderNotice:
    kind: str  #: friendly, reminder, final_notice
    level: int
    on_date: date
    pay_by: date
    seller_name: str
    buyer_name: str
    buyer_postal: Mapping[str, str] | None
    invoice_number: str
    invoice_due: date
    currency: str
    open_amount: Decimal
    total: Decimal
    compensation: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    interest: Decimal | None = Decimal(0)  #: None: a reference rate is missing (said on the page)
    interest_lines: tuple[InterestLine, ...] = ()
    reference: str | None = None
    payment: tuple[tuple[str, str], ...] = ()  #: (label, value): Bankgiro, IBAN …
    language: str = "en"
    colour: str = "#1f4e79"
    notes: tuple[str, ...] = field(default_factory=tuple)


def render_reminder_html(notice: ReminderNotice) -> str:
    lang = notice.language if notice.language in LANGUAGES else "en"
    left, top = WINDOWS["left"]
    return (
        _environment()
        .get_template("reminder.html")
        .render(
            n=notice,
            lang=lang,
            t=LABELS[lang],
            f=_formatters(lang, notice.currency),
            title=LABELS[lang][notice.kind],
            window_left=left,
            window_top=top,
        )
    )


def render_reminder_pdf(notice: ReminderNotice) -> bytes:
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=render_reminder_html(notice)).write_pdf(pdf_variant="pdf/a-3b")
