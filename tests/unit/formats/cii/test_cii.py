from datetime import date

import pytest
from lxml import etree

from formats.cii import read, write, write_with_report
from formats.cii.names import NSMAP
from formats.errors import MalformedDocument, UnsupportedDocument
from formats.model import PrecedingInvoice
from tests.svefaktura_samples import ALL, credit_note, invoice


@pytest.mark.parametrize("name", sorted(ALL))
def test_round_trip_is_lossless_for_what_cii_carries(name):
    source = ALL[name]()
    assert read(write(source)).invoice.lines == source.lines
    assert read(write(source)).invoice.totals == source.totals


def test_credit_note_type_code_and_preceding_invoice():
    root = etree.fromstring(write(credit_note()))
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NSMAP) == "381"
    ref = (
        ".//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    )
    assert root.findtext(ref, namespaces=NSMAP) == "2026-1001"
    assert read(write(credit_note())).invoice.is_credit_note


def test_note_subject_code_uses_ciis_own_element():
    root = etree.fromstring(write(invoice(notes=("#AAI#Leverans enligt avtal",))))
    note = root.find("rsm:ExchangedDocument/ram:IncludedNote", NSMAP)
    assert note.findtext("ram:SubjectCode", namespaces=NSMAP) == "AAI"
    assert note.findtext("ram:Content", namespaces=NSMAP) == "Leverans enligt avtal"
    assert read(write(invoice(notes=("#AAI#Leverans enligt avtal",)))).invoice.notes == (
        "#AAI#Leverans enligt avtal",
    )


def test_what_cii_cannot_hold_is_reported():
    two = invoice(
        preceding_invoices=(
            PrecedingInvoice(id="A"),
            PrecedingInvoice(id="B", issue_date=date(2026, 1, 1)),
        )
    )
    dropped = write_with_report(two).dropped
    assert any(d.startswith("BG-3") for d in dropped)
    assert any(d.startswith("BT-86") for d in dropped)  # the Bankgiro marker


def test_bad_amount_names_its_xpath():
    text = write(invoice()).replace(
        b"<ram:LineTotalAmount>6000.00", b"<ram:LineTotalAmount>6 000", 1
    )
    with pytest.raises(MalformedDocument) as err:
        read(text)
    assert "LineTotalAmount" in err.value.location


def test_locations_and_unread_elements():
    result = read(write(invoice()))
    assert result.locate("/seller/vat_id").endswith("ram:SpecifiedTaxRegistration[1]/ram:ID")
    assert result.dropped == ()


def test_other_documents_are_refused():
    with pytest.raises(UnsupportedDocument):
        read(b"<Invoice/>")
