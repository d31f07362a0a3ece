"""The Peppol Business Message Envelope (SBDH 1.3 as profiled by Peppol, v2.0.1).

``wrap`` puts a payload in a StandardBusinessDocument with the header Peppol requires: sender and
receiver with authority ``iso6523-actorid-upis``, DocumentIdentification (Standard = the payload's
root namespace, TypeVersion, a UUID InstanceIdentifier the caller keeps stable across resends,
Type = root local name, a timezone-aware creation time) and the DOCUMENTID, PROCESSID and
COUNTRY_C1 scopes. ``unwrap`` reads one back and names what is missing or wrong.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from formats import xmlsafe
from formats.errors import MalformedDocument, UnsupportedDocument

from .identifiers import (
    BILLING_PROCESS,
    DOCUMENT_SCHEME,
    PARTICIPANT_SCHEME,
    PROCESS_SCHEME,
    ParticipantId,
)

SBDH_NS = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
_S = f"{{{SBDH_NS}}}"
_COUNTRY = re.compile(r"^[A-Z0-9][A-Z0-9]$")


@dataclass(frozen=True, slots=True)
class Sbdh:
    """A read envelope: the routing header and the payload it carries."""

    sender: str
    receiver: str
    document_type_id: str
    process_id: str
    instance_id: str
    country_c1: str
    created: datetime
    standard: str
    type: str
    type_version: str
    payload: bytes
    extra_scopes: Mapping[str, str] = field(default_factory=dict)


def wrap(
    payload: bytes,
    *,
    sender: str,
    receiver: str,
    document_type_id: str,
    process_id: str = BILLING_PROCESS,
    country_c1: str,
    instance_id: str | None = None,
    created: datetime | None = None,
    extra_scopes: Mapping[str, str] | None = None,
) -> bytes:
    """Wrap an XML payload; ``instance_id`` defaults to a new UUID (keep it to resend)."""
    if not _COUNTRY.match(country_c1 or ""):
        raise MalformedDocument(
            f"COUNTRY_C1 must be an ISO 3166-1 alpha-2 code, got {country_c1!r}"
        )
    created = created or datetime.now(UTC)
    if created.tzinfo is None:
        raise MalformedDocument("the SBDH creation time must carry a time zone")
    body = xmlsafe.parse(payload)
    qname = etree.QName(body)
    root = etree.Element(_S + "StandardBusinessDocument", nsmap={None: SBDH_NS})
    header = etree.SubElement(root, _S + "StandardBusinessDocumentHeader")
    _el(header, "HeaderVersion", "1.0")
    for role, participant in (("Sender", sender), ("Receiver", receiver)):
        ident = _el(
            etree.SubElement(header, _S + role), "Identifier", str(ParticipantId.parse(participant))
        )
        ident.set("Authority", PARTICIPANT_SCHEME)
    doc = etree.SubElement(header, _S + "DocumentIdentification")
    _el(doc, "Standard", qname.namespace or "")
    _el(doc, "TypeVersion", "2.1")
    _el(doc, "InstanceIdentifier", instance_id or str(uuid.uuid4()))
    _el(doc, "Type", qname.localname)
    _el(doc, "CreationDateAndTime", created.isoformat(timespec="seconds"))
    scope_parent = etree.SubElement(header, _S + "BusinessScope")
    scopes = [
        ("DOCUMENTID", document_type_id, DOCUMENT_SCHEME),
        ("PROCESSID", process_id, PROCESS_SCHEME),
    ]
    scopes.append(("COUNTRY_C1", country_c1, None))
    # MLS_TO names a participant (SBDH 2.0.2), so it carries the participant scheme as Identifier.
    scopes += [
        (k, v, PARTICIPANT_SCHEME if k == "MLS_TO" else None)
        for k, v in (extra_scopes or {}).items()
    ]
    for kind, value, scheme in scopes:
        scope = etree.SubElement(scope_parent, _S + "Scope")
        _el(scope, "Type", kind)
        _el(scope, "InstanceIdentifier", value)
        if scheme:
            _el(scope, "Identifier", scheme)
    root.append(body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def unwrap(data: bytes) -> Sbdh:
    root = xmlsafe.parse(data)
    if root.tag != _S + "StandardBusinessDocument":
        raise UnsupportedDocument(f"not an SBDH StandardBusinessDocument: root element {root.tag}")
    header = _need(root, "StandardBusinessDocumentHeader")
    doc = _need(header, "DocumentIdentification")
    scopes = {
        (s.findtext(_S + "Type") or "").strip(): (
            s.findtext(_S + "InstanceIdentifier") or ""
        ).strip()
        for s in header.iterfind(f"{_S}BusinessScope/{_S}Scope")
    }
    for required in ("DOCUMENTID", "PROCESSID", "COUNTRY_C1"):
        if not scopes.get(required):
            raise MalformedDocument(
                f"SBDH BusinessScope lacks the {required} scope",
                location="/StandardBusinessDocument/StandardBusinessDocumentHeader/BusinessScope",
            )
    payloads = [child for child in root if child is not header and isinstance(child.tag, str)]
    if len(payloads) != 1:
        raise MalformedDocument(
            f"SBDH must carry exactly one payload element, found {len(payloads)}"
        )
    created_text = _need(doc, "CreationDateAndTime").text or ""
    try:
        created = datetime.fromisoformat(created_text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedDocument(
            f"CreationDateAndTime {created_text!r} is not an ISO date-time"
        ) from None
    if created.tzinfo is None:
        raise MalformedDocument("CreationDateAndTime must carry a time zone")
    return Sbdh(
        sender=_participant(header, "Sender"),
        receiver=_participant(header, "Receiver"),
        document_type_id=scopes["DOCUMENTID"],
        process_id=scopes["PROCESSID"],
        instance_id=(_need(doc, "InstanceIdentifier").text or "").strip(),
        country_c1=scopes["COUNTRY_C1"],
        created=created,
        standard=(_need(doc, "Standard").text or "").strip(),
        type=(_need(doc, "Type").text or "").strip(),
        type_version=(_need(doc, "TypeVersion").text or "").strip(),
        payload=etree.tostring(payloads[0], encoding="UTF-8", xml_declaration=True),
        extra_scopes={
            k: v for k, v in scopes.items() if k not in ("DOCUMENTID", "PROCESSID", "COUNTRY_C1")
        },
    )


def _participant(header: etree._Element, role: str) -> str:
    ident = _need(_need(header, role), "Identifier")
    if (ident.get("Authority") or "").lower() != PARTICIPANT_SCHEME:
        raise MalformedDocument(f"SBDH {role} identifier must have Authority {PARTICIPANT_SCHEME}")
    return str(ParticipantId.parse(ident.text or ""))


def _need(parent: etree._Element, name: str) -> etree._Element:
    found = parent.find(_S + name)
    if found is None:
        raise MalformedDocument(
            f"SBDH lacks {name}", location=f"{etree.QName(parent).localname}/{name}"
        )
    return found


def _el(parent: etree._Element, name: str, text: str) -> etree._Element:
    el = etree.SubElement(parent, _S + name)
    el.text = text
    return el
