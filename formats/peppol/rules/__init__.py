"""Native validation: the EN 16931 and Peppol BIS 3.0 (3.0.21) business rules in Python.

Rules run on the model and report the official rule id, its flag and message, and a JSON pointer
into the model (which is also the canonical JSON). For XML input the reader's location map turns
that pointer into an XPath into what the caller sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Flag(StrEnum):
    """How serious a finding is (the Schematron ``flag``)."""

    FATAL = "fatal"  #: the document is invalid
    WARNING = "warning"  #: reported, never rejects


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired."""

    rule: str  #: official id, e.g. "BR-CO-15", "PEPPOL-EN16931-R003"
    flag: Flag
    message: str
    path: str  #: JSON pointer into the model/canonical JSON, "" for the document
    location: str | None = None  #: XPath into the XML the caller sent, when it was XML

    @property
    def is_fatal(self) -> bool:
        return self.flag is Flag.FATAL
