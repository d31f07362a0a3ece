"""MLS documents: valid UBL 2.1 ApplicationResponse (the official XSD), the eDEC MLS 1.0 rules
that matter for what we write (SCH-MLS-01…29), and a lossless read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from formats.errors import FormatError
from formats.peppol.mls import Issue, Mls, read, spis_id, write

POSITIVE = Mls(
    "mls-1",
    datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    "0242:000002",
    "0242:000001",
    "AP",
    "4f0c3f5e-1d1b-4a4e-9d55-1c2b3a4d5e6f",
)
NEGATIVE = Mls(
    "mls-2",
    datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    "0242:000002",
    "0242:000001",
    "RE",
    "4f0c3f5e-1d1b-4a4e-9d55-1c2b3a4d5e6f",
    "The document breaks business rules",
    (Issue("BV", "[BR-CO-15] totals differ", "/Invoice/cac:LegalMonetaryTotal"),),
)


@pytest.fixture(scope="module")
def xsd(conformance_dir):
    return etree.XMLSchema(
        etree.parse(
            str(conformance_dir / "ubl-2.1" / "xsd" / "maindoc" / "UBL-ApplicationResponse-2.1.xsd")
        )
    )


@pytest.mark.parametrize("mls", [POSITIVE, NEGATIVE], ids=["AP", "RE"])
def test_written_mls_is_valid_ubl_and_follows_the_mls_rules(mls, xsd):
    xml = write(mls)
    root = etree.fromstring(xml)
    assert xsd.validate(root), xsd.error_log
    ns = {
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    }
    assert (
        root.findtext("cbc:CustomizationID", namespaces=ns) == "urn:peppol:edec:mls:1.0"
    )  # SCH-MLS-01
    assert root.findtext("cbc:ProfileID", namespaces=ns) == "urn:peppol:edec:mls"  # SCH-MLS-02
    assert len(root.findtext("cbc:IssueDate", namespaces=ns)) == 10  # SCH-MLS-04
    assert root.findtext("cbc:IssueTime", namespaces=ns).endswith("Z")  # SCH-MLS-05/06
    assert (
        root.find("cac:SenderParty/cbc:EndpointID", ns).get("schemeID") == "0242"
    )  # SCH-MLS-09/10
    assert len(root.findall("cac:DocumentResponse", ns)) == 1  # SCH-MLS-15
    assert read(xml) == mls


def test_a_negative_mls_without_a_failure_issue_is_refused():
    with pytest.raises(FormatError, match="negative MLS"):
        write(
            Mls(
                "x",
                POSITIVE.issued,
                "0242:000002",
                "0242:000001",
                "RE",
                "ref",
                "why",
                (Issue("BW", "only a warning"),),
            )
        )


def test_spis_ids_come_from_the_seat_number():
    assert spis_id("POP000123") == "0242:000123"
    with pytest.raises(FormatError):
        spis_id("AP-1")


def test_reading_something_else_says_what_is_wrong():
    with pytest.raises(FormatError, match="ApplicationResponse"):
        read(b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>")
