from datetime import UTC, datetime

import pytest

from formats.errors import FormatError, MalformedDocument
from formats.peppol.identifiers import INVOICE_DOCUMENT_TYPE, ParticipantId
from formats.peppol.sbdh import unwrap, wrap
from formats.peppol.ubl_write import write
from tests.svefaktura_samples import invoice


def _wrapped(**kw) -> bytes:
    args = dict(
        sender="0007:5560360793",
        receiver="0007:5567321707",
        document_type_id=INVOICE_DOCUMENT_TYPE,
        country_c1="SE",
        instance_id="0b7f6a3e-93a4-4b6c-9a0e-2b1c4d5e6f70",
        created=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    )
    args.update(kw)
    return wrap(write(invoice()), **args)


def test_wrap_unwrap_keeps_the_stable_instance_identifier_and_payload():
    sbdh = unwrap(_wrapped())
    assert sbdh.instance_id == "0b7f6a3e-93a4-4b6c-9a0e-2b1c4d5e6f70"
    assert (sbdh.sender, sbdh.receiver, sbdh.country_c1) == (
        "0007:5560360793",
        "0007:5567321707",
        "SE",
    )
    assert (
        sbdh.standard == "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
        and sbdh.type == "Invoice"
    )
    assert b"<cbc:ID>2026-1001</cbc:ID>" in sbdh.payload


def test_envelope_passes_the_official_sbdh_schema(oracle):
    report = oracle.validate_bytes(_wrapped(), name="sbdh.xml")
    assert report.valid, report.to_text()


def test_bad_envelope_inputs_are_named():
    with pytest.raises(MalformedDocument, match="COUNTRY_C1"):
        _wrapped(country_c1="Sweden")
    with pytest.raises(FormatError, match="participant"):
        _wrapped(receiver="5567321707")
    broken = _wrapped().replace(b"<Type>COUNTRY_C1</Type>", b"<Type>COUNTRY_X</Type>")
    with pytest.raises(MalformedDocument, match="COUNTRY_C1"):
        unwrap(broken)


def test_participant_ids():
    pid = ParticipantId.parse("iso6523-actorid-upis::0088:123ABC")
    assert str(pid) == "0088:123ABC" and pid.canonical == "0088:123abc"
    assert pid.uri == "iso6523-actorid-upis::0088:123ABC"
    for bad in ("", "7:1", "0007:", "0007: x", "x" * 200):
        with pytest.raises(FormatError):
            ParticipantId.parse(bad)
