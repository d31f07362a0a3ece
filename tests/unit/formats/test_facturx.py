import io

import pytest
from pypdf import PdfWriter

from formats import facturx
from formats.cii import write as write_cii
from formats.errors import MalformedDocument, UnsupportedDocument
from tests.svefaktura_samples import invoice


def _pdf(attachments: dict[str, bytes]) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, content in attachments.items():
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_factur_x_pdf_yields_the_embedded_cii_invoice():
    source = invoice()
    result = facturx.read(_pdf({"factur-x.xml": write_cii(source)}))
    assert result.syntax == "facturx+cii"
    assert result.invoice.number == source.number
    assert result.invoice.totals.payable == source.totals.payable


def test_the_factur_x_name_wins_over_other_xml_attachments():
    pdf = _pdf({"notes.xml": b"<notes/>", "factur-x.xml": write_cii(invoice())})
    assert facturx.embedded_xml(pdf)[0] == "factur-x.xml"


def test_a_pdf_without_invoice_xml_is_refused_with_a_reason():
    with pytest.raises(UnsupportedDocument) as err:
        facturx.read(_pdf({}))
    assert "no invoice XML" in str(err.value)


def test_garbage_after_the_pdf_header_is_a_clear_error():
    with pytest.raises((MalformedDocument, UnsupportedDocument)):
        facturx.read(b"%PDF-1.7\n" + b"\x00garbage" * 100)


def test_not_a_pdf():
    with pytest.raises(UnsupportedDocument):
        facturx.read(b"<xml/>")
