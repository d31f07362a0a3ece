"""A received invoice is judged by the rules: fatal findings make the MLS a refusal (RE) with
one BV issue per rule, an unreadable one an SV; a valid one waits for the buyer's answer."""

from __future__ import annotations

from formats.peppol.identifiers import INVOICE_DOCUMENT_TYPE
from formats.peppol.sbdh import wrap
from formats.peppol.ubl_write import write
from gateway.inbound import judge
from tests.svefaktura_samples import invoice


def _wrapped(document: bytes) -> bytes:
    return wrap(
        document,
        sender="0007:5560360793",
        receiver="0007:5567321707",
        document_type_id=INVOICE_DOCUMENT_TYPE,
        country_c1="SE",
    )


def test_a_valid_invoice_is_not_refused():
    assert judge(_wrapped(write(invoice()))).code is None


def test_an_invoice_breaking_business_rules_is_refused_with_bv_issues():
    broken = write(invoice()).replace(
        b'<cbc:PayableAmount currencyID="SEK">', b'<cbc:PayableAmount currencyID="SEK">1'
    )
    verdict = judge(_wrapped(broken))
    assert verdict.code == "RE" and verdict.issues
    assert all(i["reason"] == "BV" and i["description"].startswith("[") for i in verdict.issues)


def test_an_unreadable_invoice_is_refused_as_a_syntax_violation():
    verdict = judge(
        _wrapped(
            b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'><cbc:ID xmlns:cbc='x'>1</cbc:ID></Invoice>"
        )
    )
    assert verdict.code == "RE"
    assert verdict.issues[0]["reason"] in ("SV", "BV")
