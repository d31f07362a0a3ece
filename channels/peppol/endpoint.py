"""A receiving access point as discovery (or a bilateral setting) describes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from .keys import common_name


@dataclass(frozen=True)
class Endpoint:
    url: str
    certificate: x509.Certificate
    activation: datetime | None = None
    expiration: datetime | None = None
    technical_contact: str | None = None

    @property
    def seat(self) -> str:
        """The access point's seat id (the certificate's CN), which is its AS4 PartyId."""
        return common_name(self.certificate)
