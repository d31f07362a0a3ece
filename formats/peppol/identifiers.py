"""Peppol identifiers: participants (ISO 6523 ICD + value), document types and processes.

Per the Peppol Policy for use of Identifiers 4.4: participant ids live in the scheme
``iso6523-actorid-upis`` as ``ICD:value`` (e.g. ``0007:5567321707``), compared case-insensitively;
BIS Billing 3.0 documents are identified by the root namespace, customization and syntax version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formats.errors import FormatError

PARTICIPANT_SCHEME = "iso6523-actorid-upis"
DOCUMENT_SCHEME = "busdox-docid-qns"
PROCESS_SCHEME = "cenbii-procid-ubl"
BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
BIS3_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

_PARTICIPANT = re.compile(r"^(?P<icd>[0-9]{4}):(?P<value>[^\s:].{0,124})$")
MAX_PARTICIPANT_LENGTH = 130


@dataclass(frozen=True, slots=True)
class ParticipantId:
    """A Peppol participant: ICD scheme code and identifier value."""

    icd: str
    value: str

    @classmethod
    def parse(cls, text: str) -> ParticipantId:
        """``0007:5567321707`` or ``iso6523-actorid-upis::0007:5567321707``."""
        raw = text.strip()
        if raw.lower().startswith(PARTICIPANT_SCHEME + "::"):
            raw = raw[len(PARTICIPANT_SCHEME) + 2 :]
        match = _PARTICIPANT.match(raw)
        if match is None or len(raw) > MAX_PARTICIPANT_LENGTH:
            raise FormatError(
                f"{text!r} is not a Peppol participant id (ICD:value, e.g. 0007:5567321707)"
            )
        return cls(match["icd"], match["value"])

    def __str__(self) -> str:
        return f"{self.icd}:{self.value}"

    @property
    def uri(self) -> str:
        """The full identifier with its scheme, as SMP URLs and SBDH Authority use it."""
        return f"{PARTICIPANT_SCHEME}::{self}"

    @property
    def canonical(self) -> str:
        """Lower-cased: participant ids are compared and hashed case-insensitively."""
        return str(self).lower()


def document_type_id(
    root_namespace: str = INVOICE_NS, customization: str = BIS3_CUSTOMIZATION
) -> str:
    """The document type id value, e.g. ``urn:oasis:…:Invoice-2::Invoice##<customization>::2.1``."""
    local = "CreditNote" if root_namespace == CREDIT_NOTE_NS else "Invoice"
    return f"{root_namespace}::{local}##{customization}::2.1"


INVOICE_DOCUMENT_TYPE = document_type_id(INVOICE_NS)
CREDIT_NOTE_DOCUMENT_TYPE = document_type_id(CREDIT_NOTE_NS)
