"""One hardened parser for all XML: XXE, entity bombs, external DTDs, oversize input."""

import pytest

from formats import xmlsafe
from formats.cii import write as write_cii
from formats.convert import convert, read_any
from formats.errors import MalformedDocument, UnsafeXml, UnsupportedDocument
from formats.peppol.sbdh import wrap
from formats.peppol.ubl_write import write as write_ubl
from formats.svefaktura import write as write_sfti
from tests.svefaktura_samples import invoice

XXE_FILE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
XXE_NET = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><r>&x;</r>'
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), (b"&" + chr(97 + i).encode() + b";") * 10)
        for i in range(9)
    )
    + b"]><l>&j;</l>"
)
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>'
LATE_DOCTYPE = (
    b"<?xml version='1.0'?>"
    + b"<!-- padding -->" * 400
    + b"<!DOCTYPE r [<!ENTITY x 'y'>]><r>&x;</r>"
)


@pytest.mark.parametrize("doc", [XXE_FILE, XXE_NET, BOMB, EXTERNAL_DTD, LATE_DOCTYPE])
def test_unsafe_xml_is_refused_before_anything_is_expanded(doc):
    with pytest.raises(UnsafeXml):
        xmlsafe.parse(doc)
    with pytest.raises(UnsafeXml):
        read_any(doc)


def test_oversize_and_broken_xml():
    with pytest.raises(UnsafeXml):
        xmlsafe.parse(b"<r>" + b"x" * 100 + b"</r>", max_bytes=50)
    with pytest.raises(MalformedDocument) as err:
        xmlsafe.parse(b"<r><unclosed></r>")
    assert err.value.location.startswith("line ")


@pytest.mark.parametrize(
    ("writer", "syntax"),
    [(write_ubl, "ubl"), (write_cii, "cii"), (write_sfti, "svefaktura")],
)
def test_read_any_detects_each_syntax_by_content(writer, syntax):
    result = read_any(writer(invoice()))
    assert result.syntax == syntax
    assert result.invoice.number == "2026-1001"


def test_read_any_unwraps_sbdh_and_reads_json():
    wrapped = wrap(
        write_ubl(invoice()),
        sender="0007:5565624223",
        receiver="0007:5567321707",
        document_type_id="x",
        country_c1="SE",
    )
    assert read_any(wrapped).invoice.number == "2026-1001"
    assert read_any(convert(write_ubl(invoice()), "json").content).syntax == "json"


def test_unsupported_inputs_say_what_they_are():
    with pytest.raises(UnsupportedDocument, match="root element"):
        read_any(b"<Order xmlns='urn:x'/>")
    with pytest.raises(UnsupportedDocument):
        read_any(b"hello")
    with pytest.raises(MalformedDocument):
        read_any(b"   ")
    with pytest.raises(UnsupportedDocument, match="unknown target"):
        convert(write_ubl(invoice()), "edifact")


def test_conversion_report_lists_what_the_target_drops():
    result = convert(write_ubl(invoice(buyer_accounting_reference="4025:123")), "svefaktura")
    assert any(d.startswith("BT-19") for d in result.dropped)


@pytest.mark.parametrize("character", ["\x01", "\x1f", "\ufffe", "\uffff", "\udc00"])
def test_a_character_xml_cannot_carry_is_refused_by_name_where_it_is(character):
    from dataclasses import replace

    from formats.errors import FormatError

    source = invoice()
    with pytest.raises(FormatError) as err:
        write_ubl(replace(source, buyer=replace(source.buyer, name=f"A{character}B")))
    assert f"U+{ord(character):04X}" in str(err.value)
    assert err.value.location == "cbc:RegistrationName"


def test_tabs_line_breaks_and_other_text_are_written():
    from dataclasses import replace

    source = invoice()
    name = "Tab\tline\nbreak\r nbsp\u00a0 emoji\U0001f600 \ufffd"
    xml = write_ubl(replace(source, buyer=replace(source.buyer, name=name)))
    assert "emoji\U0001f600".encode() in xml and b"Tab\tline" in xml
