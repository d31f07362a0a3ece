"""Reading the receiving AP's answer: a signed Receipt (delivered), a signed ebMS Error (mapped
to transient or permanent), or something that is neither (transient: the message may or may not
have arrived; a retry with the same MessageId is safe because duplicates are detected)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from formats import xmlsafe
from formats.errors import FormatError

from . import wssec
from .keys import Identity, verify_chain
from .names import EB, EBBP, NS, S12, WSSE

#: ebMS errors after which resending the same message cannot succeed
PERMANENT_ERRORS = {
    "EBMS:0001",
    "EBMS:0002",
    "EBMS:0003",
    "EBMS:0010",
    "EBMS:0101",
    "EBMS:0102",
    "EBMS:0103",
    "EBMS:0303",
}


@dataclass(frozen=True)
class Answer:
    kind: str  #: "receipt", "error", "duplicate"
    ref_to: str | None
    errors: tuple[tuple[str, str, str], ...] = ()  #: (code, short description, detail)
    raw: bytes = b""


def soap_part(content_type: str, body: bytes) -> bytes:
    """The SOAP envelope of a plain or multipart/related answer."""
    if "multipart" not in content_type.lower():
        return body
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
    for part in body.split(b"--" + boundary.encode()):
        head, sep, rest = part.partition(b"\r\n\r\n")
        if sep and b"soap+xml" in head.lower():
            return rest.rstrip(b"\r\n")
    raise FormatError("the multipart answer has no SOAP part")


def read_answer(
    content_type: str,
    body: bytes,
    identity: Identity,
    sent: tuple[tuple[str, str], ...],
    message_id: str,
) -> Answer:
    envelope = xmlsafe.parse(soap_part(content_type, body))
    if etree.QName(envelope).namespace != S12:
        raise FormatError("the answer is not a SOAP 1.2 envelope")
    signal = envelope.find(f"{{{S12}}}Header/{{{EB}}}Messaging/{{{EB}}}SignalMessage")
    if signal is None:
        raise FormatError("the answer carries no ebMS signal")
    ref_to = (signal.findtext(f"{{{EB}}}MessageInfo/{{{EB}}}RefToMessageId") or "").strip() or None
    _verify(envelope, identity)
    errors = tuple(
        (
            e.get("errorCode", ""),
            e.get("shortDescription", ""),
            (e.findtext(f"{{{EB}}}ErrorDetail") or "").strip(),
        )
        for e in signal.iterfind(f"{{{EB}}}Error")
    )
    if errors:
        duplicate = any("duplicate" in (short + detail).lower() for _, short, detail in errors)
        return Answer(
            "duplicate" if duplicate and ref_to == message_id else "error", ref_to, errors, body
        )
    receipt = signal.find(f"{{{EB}}}Receipt")
    if receipt is None:
        raise FormatError("the signal is neither a Receipt nor an Error")
    if ref_to != message_id:
        raise FormatError(f"the receipt refers to {ref_to!r}, not to our message {message_id!r}")
    _check_non_repudiation(receipt, sent)
    return Answer("receipt", ref_to, (), body)


def _verify(envelope: etree._Element, identity: Identity) -> None:
    security = envelope.find(f"{{{S12}}}Header/{{{WSSE}}}Security")
    signature = security.find("ds:Signature", NS) if security is not None else None
    if signature is None:
        raise wssec.SecurityError("the answer is not signed")
    token = security.find(f"{{{WSSE}}}BinarySecurityToken")
    if token is None or not token.text:
        raise wssec.SecurityError("the answer's signature has no certificate")
    certificate = wssec.load_certificate_b64(token.text)
    verify_chain(certificate, identity.trust)
    wssec.verify_signature(signature, envelope, certificate, {})


def _check_non_repudiation(receipt: etree._Element, sent: tuple[tuple[str, str], ...]) -> None:
    """The receipt must echo the digests of what we signed (non-repudiation of receipt)."""
    echoed = {
        ref.get("URI"): (ref.findtext("ds:DigestValue", namespaces=NS) or "").strip()
        for ref in receipt.iterfind(f".//{{{EBBP}}}MessagePartNRInformation/ds:Reference", NS)
    }
    if not echoed:
        return  # a receipt without NRI (a plain receipt) is accepted; nothing more to compare
    for uri, value in sent:
        if echoed.get(uri) not in (None, value):
            raise wssec.SecurityError(f"the receipt's digest for {uri} differs from what we sent")
