"""The invoice PDF: readable text, the embedded UBL passes the official rules, languages, pages."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace

import pytest
from pypdf import PdfReader

from formats.model import Address
from formats.pdf import language_for, render_html, render_pdf
from tests.svefaktura_samples import buyer, invoice, line

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture(scope="module")
def swedish_pdf() -> bytes:
    return render_pdf(invoice())


def test_swedish_invoice_shows_what_finance_checks(swedish_pdf):
    text = _text(swedish_pdf)
    for expected in (
        "Faktura",
        "2026-1001",
        "Förfallodag",
        "2026-12-20",
        "Bankgiro",
        "50501055",
        "1234567897",
        "Att betala",
        "7 760,40",
        "Godkänd för F-skatt",
        "Org.nr 5560360793",
        "dröjsmålsränta",
        "Sida 1 av 1",
    ):
        assert expected in text, expected


def test_embedded_ubl_is_the_peppol_invoice_and_passes_the_official_rules(swedish_pdf, oracle):
    files = PdfReader(io.BytesIO(swedish_pdf)).attachments
    assert list(files) == ["invoice.xml"]
    report = oracle.validate_bytes(files["invoice.xml"][0], name="embedded.xml")
    assert report.valid, report.to_text()


def test_pdf_is_pdf_a_3b(swedish_pdf, tmp_path):
    path = tmp_path / "i.pdf"
    path.write_bytes(swedish_pdf)
    meta = subprocess.run(
        ["pdfinfo", "-meta", str(path)], capture_output=True, check=True
    ).stdout.decode()
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta
    assert (
        "PDF version:     1.7"
        in subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()
    )


def test_long_invoices_repeat_the_header_and_count_pages():
    long = invoice(lines=tuple(line(n, "1", "10") for n in range(1, 80)))
    text = _text(render_pdf(long, embed_ubl=False))
    pages = text.count("\x0c")
    assert pages > 1 and f"Sida 1 av {pages}" in text and f"Sida {pages} av {pages}" in text
    assert text.count("Beskrivning") >= 2, "the table header repeats on every page"


@pytest.mark.parametrize(
    ("country", "word"),
    [("NO", "Å betale"), ("DK", "At betale"), ("FI", "Maksettava"), ("DE", "Amount due")],
)
def test_language_follows_the_buyers_country(country, word):
    foreign = invoice(
        buyer=replace(
            buyer(), address=Address(line1="Gate 1", city="X", post_code="1", country_code=country)
        )
    )
    assert word in render_html(foreign)


def test_language_override_and_right_window():
    html = render_html(invoice(), language="en", window="right")
    assert "Amount due" in html and "calc(110mm - 20mm)" in html
    assert language_for(invoice(), "xx") == "sv"


def test_convert_to_pdf_from_the_command_line(tmp_path):
    import sys

    from formats.peppol.ubl_write import write

    source = tmp_path / "i.xml"
    source.write_bytes(write(invoice()))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway",
            "convert",
            str(source),
            "--to",
            "pdf",
            "-o",
            str(tmp_path / "i.pdf"),
        ],
        capture_output=True,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "i.pdf").read_bytes().startswith(b"%PDF-1.7")
