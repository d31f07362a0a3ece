from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from formats.errors import FormatError, MalformedDocument, UnsupportedDocument
from formats.model import (
    Attachment,
    DirectDebit,
    DocumentKind,
    Identifier,
    PaymentCard,
    PaymentMeans,
    SupportingDocument,
    Totals,
)
from formats.peppol.ubl_names import XPATH_NS
from formats.peppol.ubl_read import read
from formats.peppol.ubl_write import write
from tests.svefaktura_samples import ALL, credit_note, invoice


@pytest.mark.parametrize("name", sorted(ALL))
def test_model_round_trip_is_lossless(name):
    source = ALL[name]()
    assert read(write(source)).invoice == source


def test_credit_note_uses_credit_note_syntax_and_carries_due_date_in_payment_means():
    root = etree.fromstring(write(credit_note()))
    assert etree.QName(root).localname == "CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=XPATH_NS) == "381"
    assert root.find("cac:CreditNoteLine/cbc:CreditedQuantity", XPATH_NS) is not None
    assert root.findtext("cac:PaymentMeans/cbc:PaymentDueDate", namespaces=XPATH_NS) == "2026-12-20"
    assert read(write(credit_note())).invoice.kind is DocumentKind.CREDIT_NOTE


def test_swedish_bankgiro_account_with_ocr_reference():
    root = etree.fromstring(write(invoice()))
    means = root.find("cac:PaymentMeans", XPATH_NS)
    assert means.findtext("cbc:PaymentID", namespaces=XPATH_NS) == "1234567897"
    assert (
        means.findtext(
            "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", namespaces=XPATH_NS
        )
        == "SE:BANKGIRO"
    )


def test_tax_currency_gets_a_second_tax_total():
    source = invoice(
        currency="EUR",
        tax_currency="SEK",
        totals=Totals(vat_total_tax_currency=Decimal("17000.00")),
    )
    root = etree.fromstring(write(source))
    amounts = [
        (t.text, t.get("currencyID")) for t in root.iterfind("cac:TaxTotal/cbc:TaxAmount", XPATH_NS)
    ]
    assert amounts[1] == ("17000.00", "SEK")
    assert read(write(source)).invoice.totals.vat_total_tax_currency == Decimal("17000.00")


def test_attachments_card_and_direct_debit_survive():
    source = invoice(
        supporting_documents=(
            SupportingDocument(
                id="T-1",
                description="Timesheet",
                attachment=Attachment(
                    content=b"%PDF-1.7 x", mime_code="application/pdf", filename="t.pdf"
                ),
            ),
            SupportingDocument(id="U-1", url="https://example.com/spec.pdf"),
        ),
        payment_means=(
            PaymentMeans(
                type_code="48",
                card=PaymentCard(
                    primary_account_number="1234", holder_name="A B", network_id="VISA"
                ),
            ),
            # BT-90 is one per document: it travels with the direct debit
            PaymentMeans(
                type_code="59",
                direct_debit=DirectDebit(
                    mandate_reference="M-1",
                    creditor_id="SE12ZZZ1",
                    debited_account_id="SE3550000000054910000003",
                ),
            ),
        ),
        invoiced_object_id=Identifier(value="OBJ-9", scheme="AAB"),
    )
    assert read(write(source)).invoice == source


def test_amounts_are_written_exactly_as_given():
    root = etree.fromstring(write(invoice()))
    assert (
        root.findtext("cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount", namespaces=XPATH_NS)
        == "15.50"
    )


def test_locations_map_pointers_to_xpaths():
    result = read(write(invoice()))
    assert (
        result.locate("/lines/1/net_amount")
        == "/inv:Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount"
    )
    assert (
        result.locate("/seller/vat_id")
        == "/inv:Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme[1]/cbc:CompanyID"
    )


def test_malformed_values_name_their_xpath():
    bad = write(invoice()).replace(b"<cbc:IssueDate>2026-11-20", b"<cbc:IssueDate>20.11.2026", 1)
    with pytest.raises(MalformedDocument) as err:
        read(bad)
    assert err.value.location == "/inv:Invoice/cbc:IssueDate"


def test_unknown_elements_are_reported_not_lost():
    doc = write(invoice()).replace(
        b"<cbc:BuyerReference>",
        b"<cbc:AccountingCostCode>X</cbc:AccountingCostCode><cbc:BuyerReference>",
        1,
    )
    assert read(doc).dropped == ("/inv:Invoice/cbc:AccountingCostCode",)


def test_other_documents_and_missing_number():
    with pytest.raises(UnsupportedDocument):
        read(b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>")
    with pytest.raises(FormatError):
        write(invoice(number=None))
    assert read(write(invoice(issue_date=date(2026, 1, 31)))).invoice.issue_date == date(
        2026, 1, 31
    )
