from decimal import Decimal
from pathlib import Path

import pytest

from formats.bank.camt054 import parse
from formats.errors import MalformedDocument, UnsafeXml, UnsupportedDocument

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "bank" / "camt054_v02_credits.xml"


def test_batched_and_single_entries_become_payments():
    payments = parse(SAMPLE.read_bytes())
    assert [p.amount for p in payments] == [
        Decimal("6250.00"),
        Decimal("1200.00"),
        Decimal("199.00"),
        Decimal("-1200.00"),
    ]
    first, second, free_text, returned = payments
    assert first.reference == "1234567897" and first.end_to_end_id == "E2E-ERP-771"
    assert first.debtor_name == "Johnssons Byggvaror AB" and first.debtor_account.startswith("SE35")
    assert second.end_to_end_id is None  # NOTPROVIDED is no id
    assert free_text.reference is None and free_text.unstructured == ("Faktura 2026-1002",)
    assert returned.servicer_reference == "BANKREF-3"
    assert {p.servicer_reference for p in payments} == {
        "BANKREF-1-1",
        "BANKREF-1-2",
        "BANKREF-2",
        "BANKREF-3",
    }


def test_version_08_debtor_under_party():
    xml = SAMPLE.read_bytes().replace(b"camt.054.001.02", b"camt.054.001.08")
    xml = xml.replace(
        b"<Dbtr><Nm>Anna Andersson</Nm></Dbtr>", b"<Dbtr><Pty><Nm>Anna Andersson</Nm></Pty></Dbtr>"
    )
    xml = xml.replace(b"<Sts>BOOK</Sts>", b"<Sts><Cd>BOOK</Cd></Sts>")
    assert [p.debtor_name for p in parse(xml)][2] == "Anna Andersson"


def test_bad_amount_names_the_element():
    xml = SAMPLE.read_bytes().replace(
        b'<Amt Ccy="SEK">6250.00</Amt>', b'<Amt Ccy="SEK">6 250,00</Amt>'
    )
    with pytest.raises(MalformedDocument) as err:
        parse(xml)
    assert "TxAmt" in err.value.location


def test_other_documents_and_unsafe_xml_are_refused():
    with pytest.raises(UnsupportedDocument):
        parse(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>')
    with pytest.raises(UnsafeXml):
        parse(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document>&e;</Document>')
