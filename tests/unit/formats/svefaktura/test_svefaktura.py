from decimal import Decimal

import pytest
from lxml import etree

from formats.errors import FormatError, UnsupportedDocument
from formats.svefaktura import read, write, write_with_report
from formats.svefaktura.names import XPATH_NS
from tests.svefaktura_samples import ALL, credit_note, invoice, mixed_categories


@pytest.mark.parametrize("name", sorted(ALL))
def test_round_trip_keeps_what_svefaktura_carries(name):
    source = ALL[name]()
    first = read(write(source)).invoice
    assert read(write(first)).invoice == first
    assert first.number == source.number
    assert first.totals.payable == source.totals.payable
    assert first.kind == source.kind


def test_bankgiro_account_and_ocr_reference():
    root = etree.fromstring(write(invoice()))
    account = root.find("cac:PaymentMeans/cac:PayeeFinancialAccount", XPATH_NS)
    assert account.findtext("cac:ID", namespaces=XPATH_NS) == "50501055"
    assert (
        account.findtext(
            "cac:FinancialInstitutionBranch/cac:FinancialInstitution/cac:ID", namespaces=XPATH_NS
        )
        == "BGABSESS"
    )
    assert account.findtext("cac:PaymentInstructionID", namespaces=XPATH_NS) == "1234567897"
    means = read(write(invoice())).invoice.payment_means[0]
    assert means.account.service_provider_id == "SE:BANKGIRO"


def test_credit_note_references_the_invoice_it_corrects():
    root = etree.fromstring(write(credit_note()))
    assert root.findtext("sfti:InvoiceTypeCode", namespaces=XPATH_NS) == "381"
    assert (
        root.findtext("sfti:InitialInvoiceDocumentReference/cac:ID", namespaces=XPATH_NS)
        == "2026-1001"
    )


def test_categories_svefaktura_lacks_are_exempt_and_reported():
    written = write_with_report(mixed_categories())
    root = etree.fromstring(written.content)
    codes = {n.text for n in root.iterfind(".//cac:TaxSubTotal/cac:TaxCategory/cac:ID", XPATH_NS)}
    assert codes <= {"S", "E"}
    assert any(d.startswith("BT-118") for d in written.dropped)


def test_missing_buyer_reference_fails_closed_naming_the_term():
    with pytest.raises(FormatError) as err:
        write(invoice(buyer_reference=None))
    assert "BT-10" in str(err.value)


def test_postal_zone_and_phone_lose_formatting_characters():
    root = etree.fromstring(write(invoice()))
    assert root.findtext(".//cac:SellerParty//cbc:PostalZone", namespaces=XPATH_NS) == "12652"
    assert root.findtext(".//cac:SellerParty//cbc:Telephone", namespaces=XPATH_NS) == "0811122233"


def test_locations_point_into_the_input():
    result = read(write(invoice()))
    assert result.locate("/lines/1/net_amount").endswith("InvoiceLine[2]/cbc:LineExtensionAmount")
    assert result.invoice.lines[1].net_amount == Decimal("232.50")


def test_not_svefaktura_is_refused_clearly():
    with pytest.raises(UnsupportedDocument):
        read(b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>")
