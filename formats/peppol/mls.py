"""Peppol Message Level Status (eDEC MLS 1.0): the receiving access point (C3) tells the sending
one (C2) what became of a business document. A UBL ApplicationResponse with one DocumentResponse
that references the SBDH InstanceIdentifier of the document; codes AP (delivered and confirmed),
AB (accepted, no confirmation) and RE (rejected, with at least one issue: SV syntax, BV business
rule, BW business rule warning, FD failure of delivery). Sender and receiver are service
providers, identified in the SPIS scheme 0242 by their seat number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from formats import xmlsafe
from formats.errors import FormatError

CUSTOMIZATION = "urn:peppol:edec:mls:1.0"
PROFILE = "urn:peppol:edec:mls"
DOCUMENT_TYPE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2::ApplicationResponse##urn:peppol:edec:mls:1.0::2.1"
PROCESS = PROFILE
SPIS_ICD = "0242"
CODES = ("AP", "AB", "RE")
REASONS = ("SV", "BV", "BW", "FD")

_AR = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_NS = {"ar": _AR, "cac": _CAC, "cbc": _CBC}


def spis_id(seat: str) -> str:
    """The SPIS participant id of an access point: ``POP000123`` → ``0242:000123``."""
    digits = re.sub(r"^[A-Za-z]+", "", seat.strip())
    if not re.fullmatch(r"[0-9]{6}", digits):
        raise FormatError(f"seat id {seat!r} does not end in the six digits an SPIS id is made of")
    return f"{SPIS_ICD}:{digits}"


@dataclass(frozen=True)
class Issue:
    reason: str  #: SV, BV, BW or FD
    description: str
    location: str = "NA"  #: where in the document (an XPath), or NA


@dataclass(frozen=True)
class Mls:
    id: str
    issued: datetime
    sender: str  #: the C3's SPIS participant id
    receiver: str  #: the C2's (the MLS_TO of the document)
    code: str
    reference: str  #: SBDH InstanceIdentifier of the business document
    description: str | None = None
    issues: tuple[Issue, ...] = ()


def write(mls: Mls) -> bytes:
    if mls.code not in CODES:
        raise FormatError(f"MLS response code {mls.code!r} is not one of {CODES}")
    if mls.code == "RE" and not (
        mls.description and any(i.reason in ("SV", "BV", "FD") for i in mls.issues)
    ):
        raise FormatError("a negative MLS needs a description and at least one SV, BV or FD issue")
    root = etree.Element(
        f"{{{_AR}}}ApplicationResponse", nsmap={None: _AR, "cac": _CAC, "cbc": _CBC}
    )

    def cbc(parent: etree._Element, name: str, text: str, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{_CBC}}}{name}", attrs)
        el.text = text
        return el

    def cac(parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{_CAC}}}{name}")

    issued = mls.issued.astimezone(UTC)
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ProfileID", PROFILE)
    cbc(root, "ID", mls.id)
    cbc(root, "IssueDate", issued.date().isoformat())
    cbc(root, "IssueTime", issued.strftime("%H:%M:%S") + "Z")
    for role, party in (("SenderParty", mls.sender), ("ReceiverParty", mls.receiver)):
        scheme, _, value = party.partition(":")
        cbc(cac(root, role), "EndpointID", value, schemeID=scheme)
    document = cac(root, "DocumentResponse")
    response = cac(document, "Response")
    cbc(response, "ResponseCode", mls.code)
    if mls.description:
        cbc(response, "Description", mls.description)
    cbc(cac(document, "DocumentReference"), "ID", mls.reference)
    for issue in mls.issues:
        line = cac(document, "LineResponse")
        cbc(cac(line, "LineReference"), "LineID", issue.location or "NA")
        line_response = cac(line, "Response")
        cbc(line_response, "Description", issue.description)
        cbc(cac(line_response, "Status"), "StatusReasonCode", issue.reason)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read(data: bytes) -> Mls:
    root = xmlsafe.parse(data)
    if root.tag != f"{{{_AR}}}ApplicationResponse":
        raise FormatError("an MLS is a UBL ApplicationResponse")
    if (root.findtext("cbc:CustomizationID", namespaces=_NS) or "").strip() != CUSTOMIZATION:
        raise FormatError(f"not an MLS: CustomizationID is not {CUSTOMIZATION}")

    def text(path: str, required: bool = True) -> str:
        value = (root.findtext(path, namespaces=_NS) or "").strip()
        if required and not value:
            raise FormatError(f"the MLS lacks {path}")
        return value

    def party(role: str) -> str:
        el = root.find(f"cac:{role}/cbc:EndpointID", _NS)
        if el is None or not (el.text or "").strip():
            raise FormatError(f"the MLS lacks cac:{role}/cbc:EndpointID")
        return f"{el.get('schemeID', '')}:{el.text.strip()}"

    code = text("cac:DocumentResponse/cac:Response/cbc:ResponseCode")
    if code not in CODES:
        raise FormatError(f"MLS response code {code!r} is not one of {CODES}")
    issued_text = f"{text('cbc:IssueDate')}T{text('cbc:IssueTime', required=False) or '00:00:00Z'}"
    try:
        issued = datetime.fromisoformat(issued_text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FormatError(
            f"the MLS IssueDate/IssueTime {issued_text!r} is not a date and time"
        ) from exc
    issues = tuple(
        Issue(
            reason=(
                line.findtext("cac:Response/cac:Status/cbc:StatusReasonCode", namespaces=_NS) or ""
            ).strip(),
            description=(
                line.findtext("cac:Response/cbc:Description", namespaces=_NS) or ""
            ).strip(),
            location=(
                line.findtext("cac:LineReference/cbc:LineID", namespaces=_NS) or "NA"
            ).strip(),
        )
        for line in root.iterfind("cac:DocumentResponse/cac:LineResponse", _NS)
    )
    return Mls(
        id=text("cbc:ID"),
        issued=issued if issued.tzinfo else issued.replace(tzinfo=UTC),
        sender=party("SenderParty"),
        receiver=party("ReceiverParty"),
        code=code,
        reference=text("cac:DocumentResponse/cac:DocumentReference/cbc:ID"),
        description=text("cac:DocumentResponse/cac:Response/cbc:Description", required=False)
        or None,
        issues=issues,
    )
