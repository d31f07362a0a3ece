"""Delivery channels: transports that see bytes and addresses, never the invoice model.

A channel's ``send`` returns a :class:`Receipt` only on success and otherwise raises one of the
errors below. The code that raises knows best whether a retry can help, so it picks the class::

    DeliveryError                      base; never raised itself
    ├── TransientDeliveryError         a later attempt may succeed → retry at next_attempt_at
    │   ├── RemoteUnavailable          connection refused/reset, HTTP 5xx, SMTP 4xx
    │   ├── DeliveryTimeout            no answer in time
    │   ├── LookupUnavailable          SML DNS / SMP temporarily failing
    │   ├── SignalMissing              the answer is not a usable receipt or error signal
    │   └── RateLimited                the remote asked us to come back later (retry_after)
    └── PermanentDeliveryError         retrying the same channel cannot help → next channel in the plan
        ├── RecipientNotRegistered     no endpoint for this participant/document type
        ├── EndpointCertificateInvalid the receiver's certificate is expired, revoked or untrusted
        ├── RemoteRejected             AS4 error signal, SMTP 5xx, print provider rejection
        └── LocalConfigurationError    our own key, certificate or settings are unusable

An exception that is not a DeliveryError escaping a channel is a bug in that channel; the worker
treats it as transient (bounded by max attempts) and logs it as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """One rendered document, stored once and re-sent byte for byte on every attempt."""

    kind: str  #: "ubl", "svefaktura", "cii", "pdf", "original"
    media_type: str
    content: bytes
    filename: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Address:
    """Where a channel delivers to; each channel reads the parts it understands."""

    peppol_id: str | None = None  #: "scheme:value", e.g. "0007:5567321707"
    email: str | None = None
    postal: Mapping[str, str] | None = None  #: name, lines, post code, city, country
    operator: str | None = None  #: an operator/VAN name from settings
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Envelope:
    """Everything one delivery attempt needs."""

    delivery_id: str
    invoice_id: str
    tenant_id: str
    attempt: int  #: 1-based
    message_id: str  #: stable across attempts (AS4 MessageId, SMTP Message-ID, SBDH instance id)
    sender: Address
    recipient: Address
    documents: tuple[Document, ...]
    document_type: str = "invoice"  #: "invoice", "credit_note" or "reminder"
    language: str = "en"
    meta: Mapping[str, str] = field(default_factory=dict)  #: invoice number, amount, due date …

    def document(self, kind: str) -> Document:
        """The document of this kind; a missing one is our configuration error, not the remote's."""
        for doc in self.documents:
            if doc.kind == kind:
                return doc
        raise LocalConfigurationError(f"no {kind!r} document rendered for this delivery")


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """Raw bytes kept as proof: a signed AS4 receipt, an SMTP transcript, a print ack line."""

    kind: str
    media_type: str
    content: bytes


@dataclass(frozen=True, kw_only=True, slots=True)
class Receipt:
    """Proof that the channel handed the document over."""

    channel: str
    remote_id: str | None  #: AS4 receipt id, SMTP queue id, print job id …
    received_at: datetime
    evidence: tuple[Evidence, ...] = ()
    #: True when delivery is confirmed only later (a print ack, an MLS); the worker waits for it.
    pending_confirmation: bool = False
    report: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Channel(Protocol):
    """A transport. ``send`` returns a Receipt or raises a DeliveryError subclass."""

    name: str

    async def send(self, envelope: Envelope) -> Receipt: ...

    async def aclose(self) -> None: ...


class DeliveryError(Exception):
    """Delivery failed."""

    def __init__(self, message: str | None = None, *, evidence: tuple[Evidence, ...] = ()) -> None:
        super().__init__(message or self.__doc__)
        self.evidence = evidence


class TransientDeliveryError(DeliveryError):
    """Delivery failed for now; a later attempt may succeed."""


class RemoteUnavailable(TransientDeliveryError):
    """The remote end could not be reached or answered with a temporary error."""


class DeliveryTimeout(TransientDeliveryError):
    """The remote end did not answer in time."""


class LookupUnavailable(TransientDeliveryError):
    """The recipient's capabilities could not be looked up right now."""


class SignalMissing(TransientDeliveryError):
    """The remote end's answer was neither a receipt nor an error signal."""


class RateLimited(TransientDeliveryError):
    """The remote end asked us to come back later."""

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        evidence: tuple[Evidence, ...] = (),
    ) -> None:
        super().__init__(message, evidence=evidence)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Delivery through this channel cannot succeed; try the next channel."""


class RecipientNotRegistered(PermanentDeliveryError):
    """The recipient cannot receive this document through this channel."""


class EndpointCertificateInvalid(PermanentDeliveryError):
    """The recipient's certificate is not valid for this network."""


class RemoteRejected(PermanentDeliveryError):
    """The remote end rejected the document."""


class LocalConfigurationError(PermanentDeliveryError):
    """Our own configuration does not allow this delivery."""


__all__ = [
    "Address",
    "Channel",
    "DeliveryError",
    "DeliveryTimeout",
    "Document",
    "EndpointCertificateInvalid",
    "Envelope",
    "Evidence",
    "LocalConfigurationError",
    "LookupUnavailable",
    "PermanentDeliveryError",
    "RateLimited",
    "Receipt",
    "RecipientNotRegistered",
    "RemoteRejected",
    "RemoteUnavailable",
    "SignalMissing",
    "TransientDeliveryError",
]
