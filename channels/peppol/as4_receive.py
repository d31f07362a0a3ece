"""Receiving AS4 messages: decrypt, verify, decompress, unwrap, and answer with a signed Receipt
or the right signed ebMS Error. Pure apart from the two callbacks the gateway passes in
(which participants it serves, and whether a message was seen before).

Checks, in order: MIME and SOAP are well-formed; the attachment's key transport decrypts with our
key and the attachment with it; the signature covers ebMS Messaging, the Body and every
attachment, verifies, and its certificate chains to the Peppol trust anchors with CN equal to the
eb:From PartyId; eb:To is us; the payload decompresses within the size cap into an SBDH whose
sender and receiver match originalSender/finalRecipient; the receiver is a participant we serve.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import quopri
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from lxml import etree

from formats import xmlsafe
from formats.errors import FormatError
from formats.peppol.sbdh import unwrap

from . import wssec
from .keys import Identity, common_name, verify_chain
from .names import AP_PARTY_TYPE, DS, EB, EBBP, EXC_C14N, NS, S12, WSSE, WSU, XENC

MAX_PAYLOAD = 100 * 1024 * 1024


class Rejection(Exception):
    """An inbound message is refused with this ebMS error code."""

    def __init__(self, code: str, short: str, detail: str) -> None:
        super().__init__(f"{code} {short}: {detail}")
        self.code, self.short, self.detail = code, short, detail


@dataclass(frozen=True)
class Received:
    message_id: str
    instance_id: str
    sender: str
    receiver: str
    document_type: str
    process: str
    from_ap: str
    payload: bytes  #: the SBDH-wrapped business document
    duplicate: bool = False
    scopes: Mapping[str, str] = field(
        default_factory=dict
    )  #: further SBDH scopes, e.g. MLS_TO, MLS_TYPE


@dataclass(frozen=True)
class Reply:
    content_type: str
    body: bytes
    received: Received | None
    error: Rejection | None = None


def _parts(content_type: str, body: bytes) -> tuple[bytes, dict[str, bytes]]:
    if "multipart/related" not in content_type.lower() or "boundary=" not in content_type:
        raise Rejection(
            "EBMS:0001",
            "ValueNotRecognized",
            "an AS4 message is multipart/related with the SOAP envelope first",
        )
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip().strip('"').encode()
    soap, attachments = None, {}
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        content = content[:-2] if content.endswith(b"\r\n") else content
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.decode("latin-1").partition(":") for line in head.split(b"\r\n"))
        }
        content = _transfer_decoded(content, headers.get("content-transfer-encoding", "binary"))
        if soap is None and "soap+xml" in headers.get("content-type", ""):
            soap = content
        elif "content-id" in headers:
            attachments[headers["content-id"].strip("<>")] = content
    if soap is None:
        raise Rejection("EBMS:0001", "ValueNotRecognized", "no SOAP 1.2 part in the message")
    return soap, attachments


def _transfer_decoded(content: bytes, encoding: str) -> bytes:
    # Senders built on javax.mail or Python's email package base64-encode binary MIME parts.
    encoding = encoding.lower()
    if encoding == "base64":
        try:
            return base64.b64decode(b"".join(content.split()), validate=True)
        except binascii.Error as exc:
            raise Rejection(
                "EBMS:0004", "Other", f"a MIME part is not valid base64: {exc}"
            ) from exc
    if encoding == "quoted-printable":
        return quopri.decodestring(content)
    return content


def _text(el: etree._Element | None, path: str) -> str:
    found = el.find(path, NS) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


async def handle(
    content_type: str,
    body: bytes,
    identity: Identity,
    *,
    serves: Callable[[str], Awaitable[bool]],
    seen: Callable[[str, str], Awaitable[bool]],
    revocation: Callable[[x509.Certificate, x509.Certificate], Awaitable[Any]] | None = None,
) -> Reply:
    envelope = None
    try:
        soap, attachments = _parts(content_type, body)
        try:
            envelope = xmlsafe.parse(soap)
        except FormatError as exc:
            raise Rejection(
                "EBMS:0004", "Other", f"the SOAP envelope is not acceptable XML: {exc}"
            ) from exc
        received = await _process(envelope, attachments, identity, serves, seen, revocation)
    except Rejection as rejection:
        ref = (
            _text(envelope, "S12:Header/eb:Messaging/eb:UserMessage/eb:MessageInfo/eb:MessageId")
            if envelope is not None
            else ""
        )
        return Reply(
            "application/soap+xml; charset=utf-8", _error(identity, ref, rejection), None, rejection
        )
    return Reply("application/soap+xml; charset=utf-8", _receipt(identity, envelope), received)


async def _process(envelope, attachments, identity, serves, seen, revocation=None) -> Received:
    header = envelope.find(f"{{{S12}}}Header")
    user = header.find(f"{{{EB}}}Messaging/{{{EB}}}UserMessage") if header is not None else None
    security = header.find(f"{{{WSSE}}}Security") if header is not None else None
    if user is None:
        raise Rejection("EBMS:0001", "ValueNotRecognized", "no ebMS UserMessage in the header")
    if security is None:
        raise Rejection(
            "EBMS:0103",
            "PolicyNoncompliance",
            "the message is not signed and encrypted (no wsse:Security)",
        )
    message_id = _text(user, "eb:MessageInfo/eb:MessageId")
    from_ap, to_ap = (
        _text(user, "eb:PartyInfo/eb:From/eb:PartyId"),
        _text(user, "eb:PartyInfo/eb:To/eb:PartyId"),
    )
    for party in user.iterfind("eb:PartyInfo/*/eb:PartyId", NS):
        if party.get("type") != AP_PARTY_TYPE:
            raise Rejection(
                "EBMS:0003",
                "ValueInconsistent",
                "PartyId type must be the Peppol AP identifier type",
            )
    if to_ap != identity.seat:
        raise Rejection(
            "EBMS:0003",
            "ValueInconsistent",
            f"the message is addressed to {to_ap!r}, this access point is {identity.seat!r}",
        )
    plain = _decrypt(security, attachments, identity)
    chain = _verify(envelope, security, plain, from_ap, identity)
    if revocation is not None:
        verdict = await revocation(chain[0], chain[1])
        if verdict.status == "revoked":
            raise Rejection(
                "EBMS:0101",
                "FailedAuthentication",
                f"the signing certificate is revoked ({verdict.detail})",
            )
        if verdict.status == "unknown":
            raise Rejection(
                "EBMS:0004",
                "Other",
                "the revocation status of the signing certificate cannot be determined now; retry later",
            )
    part_ids = [p.get("href", "")[4:] for p in user.iterfind("eb:PayloadInfo/eb:PartInfo", NS)]
    if len(part_ids) != 1 or part_ids[0] not in plain:
        raise Rejection(
            "EBMS:0003",
            "ValueInconsistent",
            "exactly one payload, referenced from PayloadInfo, is expected",
        )
    payload = _decompress(plain[part_ids[0]])
    try:
        sbdh = unwrap(payload)
    except FormatError as exc:
        raise Rejection(
            "EBMS:0004", "Other", f"the payload is not a valid Peppol SBDH: {exc}"
        ) from exc
    props = {
        p.get("name"): (p.text or "").strip()
        for p in user.iterfind("eb:MessageProperties/eb:Property", NS)
    }
    if (
        props.get("originalSender", "").lower() != sbdh.sender.lower()
        or props.get("finalRecipient", "").lower() != sbdh.receiver.lower()
    ):
        raise Rejection(
            "EBMS:0003",
            "ValueInconsistent",
            "originalSender/finalRecipient differ from the SBDH sender/receiver",
        )
    if not await serves(sbdh.receiver):
        raise Rejection("EBMS:0004", "Other", "PEPPOL:NOT_SERVICED")
    duplicate = await seen(message_id, sbdh.instance_id)
    return Received(
        message_id,
        sbdh.instance_id,
        sbdh.sender,
        sbdh.receiver,
        sbdh.document_type_id,
        sbdh.process_id,
        from_ap,
        payload,
        duplicate,
        dict(sbdh.extra_scopes),
    )


def _decrypt(
    security: etree._Element, attachments: dict[str, bytes], identity: Identity
) -> dict[str, bytes]:
    plain = dict(attachments)
    keys = {}
    for ek in security.iterfind(f"{{{XENC}}}EncryptedKey"):
        cipher = _text(ek, "xenc:CipherData/xenc:CipherValue")
        try:
            keys[ek.get("Id")] = wssec.unwrap_key(cipher, identity.key)
        except wssec.SecurityError as exc:
            raise Rejection("EBMS:0102", "FailedDecryption", str(exc)) from exc
    encrypted = list(security.iterfind(f"{{{XENC}}}EncryptedData"))
    if not encrypted:
        raise Rejection("EBMS:0103", "PolicyNoncompliance", "the payload is not encrypted")
    for ed in encrypted:
        ref = ed.find(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
        key = (
            keys.get((ref.get("URI") or "").lstrip("#"))
            if ref is not None
            else (next(iter(keys.values())) if len(keys) == 1 else None)
        )
        cref = ed.find(f"{{{XENC}}}CipherData/{{{XENC}}}CipherReference")
        cid = (cref.get("URI") or "")[4:] if cref is not None else ""
        if key is None or cid not in attachments:
            raise Rejection(
                "EBMS:0102", "FailedDecryption", "an encrypted attachment or its key is missing"
            )
        try:
            plain[cid] = wssec.decrypt_attachment(key, attachments[cid])
        except wssec.SecurityError as exc:
            raise Rejection("EBMS:0102", "FailedDecryption", str(exc)) from exc
    return plain


def _verify(
    envelope, security, plain: dict[str, bytes], from_ap: str, identity: Identity
) -> list[x509.Certificate]:
    signature = security.find(f"{{{DS}}}Signature")
    if signature is None:
        raise Rejection("EBMS:0103", "PolicyNoncompliance", "the message is not signed")
    ref = signature.find(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    tokens = {
        t.get(f"{{{WSU}}}Id"): t.text for t in security.iterfind(f"{{{WSSE}}}BinarySecurityToken")
    }
    token = tokens.get((ref.get("URI") or "").lstrip("#")) if ref is not None else None
    if not token:
        raise Rejection(
            "EBMS:0101", "FailedAuthentication", "the signing certificate is not in the message"
        )
    try:
        certificate = wssec.load_certificate_b64(token)
        chain = verify_chain(certificate, identity.trust)
    except wssec.SecurityError as exc:
        raise Rejection(
            "EBMS:0101", "FailedAuthentication", f"signing certificate rejected: {exc}"
        ) from exc
    if common_name(certificate) != from_ap:
        raise Rejection(
            "EBMS:0101",
            "FailedAuthentication",
            "the signer is not the sending access point named in eb:From",
        )
    messaging = envelope.find(f"{{{S12}}}Header/{{{EB}}}Messaging")
    body = envelope.find(f"{{{S12}}}Body")
    needed = {f"#{el.get(f'{{{WSU}}}Id')}" for el in (messaging, body) if el is not None} | {
        f"cid:{c}" for c in plain
    }

    def covers(uris: list[str]) -> None:
        missing = needed - set(uris)
        if missing:
            raise wssec.SecurityError(f"the signature does not cover {sorted(missing)}")

    try:
        wssec.verify_signature(signature, envelope, certificate, plain, required=covers)
    except wssec.SecurityError as exc:
        raise Rejection("EBMS:0101", "FailedAuthentication", str(exc)) from exc
    return chain


def _decompress(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(MAX_PAYLOAD + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Rejection(
            "EBMS:0303", "DecompressionFailure", f"the payload is not valid gzip: {exc}"
        ) from exc
    if len(out) > MAX_PAYLOAD:
        raise Rejection(
            "EBMS:0303",
            "DecompressionFailure",
            f"the payload exceeds {MAX_PAYLOAD} bytes when decompressed",
        )
    return out


# --- answers ------------------------------------------------------------------------------------------


def _signal(identity: Identity, ref_to: str, fill: Callable[[etree._Element], None]) -> bytes:
    env = etree.Element(
        f"{{{S12}}}Envelope",
        nsmap={"S12": S12, "eb": EB, "wsse": WSSE, "wsu": WSU, "ds": DS, "ebbp": EBBP},
    )
    header = etree.SubElement(env, f"{{{S12}}}Header")
    security = etree.SubElement(header, f"{{{WSSE}}}Security", {f"{{{S12}}}mustUnderstand": "true"})
    messaging = etree.SubElement(
        header,
        f"{{{EB}}}Messaging",
        {f"{{{S12}}}mustUnderstand": "true", f"{{{WSU}}}Id": f"Messaging-{uuid.uuid4()}"},
    )
    signal = etree.SubElement(messaging, f"{{{EB}}}SignalMessage")
    info = etree.SubElement(signal, f"{{{EB}}}MessageInfo")
    etree.SubElement(info, f"{{{EB}}}Timestamp").text = datetime.now(UTC).isoformat(
        timespec="milliseconds"
    )
    etree.SubElement(info, f"{{{EB}}}MessageId").text = f"{uuid.uuid4()}@fakturaport"
    if ref_to:
        etree.SubElement(info, f"{{{EB}}}RefToMessageId").text = ref_to
    fill(signal)
    body = etree.SubElement(env, f"{{{S12}}}Body", {f"{{{WSU}}}Id": f"Body-{uuid.uuid4()}"})
    token_id = f"X509-{uuid.uuid4()}"
    bst = etree.SubElement(
        security,
        f"{{{WSSE}}}BinarySecurityToken",
        {
            "EncodingType": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary",
            "ValueType": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3",
            f"{{{WSU}}}Id": token_id,
        },
    )
    bst.text = wssec.der_b64(identity.certificate)
    refs = [
        (f"#{el.get(f'{{{WSU}}}Id')}", EXC_C14N, wssec.digest(wssec.c14n(el)))
        for el in (messaging, body)
    ]
    signature = etree.SubElement(security, f"{{{DS}}}Signature")
    signed = wssec.signed_info(refs)
    signature.append(signed)
    etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = wssec.sign(signed, identity.key)
    str_ = etree.SubElement(
        etree.SubElement(signature, f"{{{DS}}}KeyInfo"), f"{{{WSSE}}}SecurityTokenReference"
    )
    etree.SubElement(
        str_, f"{{{WSSE}}}Reference", {"URI": f"#{token_id}", "ValueType": bst.get("ValueType")}
    )
    return etree.tostring(env, encoding="UTF-8", xml_declaration=True)


def _receipt(identity: Identity, request: etree._Element) -> bytes:
    ref_to = _text(request, "S12:Header/eb:Messaging/eb:UserMessage/eb:MessageInfo/eb:MessageId")
    signed_refs = request.findall(
        "S12:Header/wsse:Security/ds:Signature/ds:SignedInfo/ds:Reference", NS
    )

    def fill(signal: etree._Element) -> None:
        receipt = etree.SubElement(signal, f"{{{EB}}}Receipt")
        nri = etree.SubElement(receipt, f"{{{EBBP}}}NonRepudiationInformation")
        for ref in signed_refs:
            part = etree.SubElement(nri, f"{{{EBBP}}}MessagePartNRInformation")
            part.append(etree.fromstring(etree.tostring(ref)))

    return _signal(identity, ref_to, fill)


def _error(identity: Identity, ref_to: str, rejection: Rejection) -> bytes:
    def fill(signal: etree._Element) -> None:
        attrs = {
            "errorCode": rejection.code,
            "severity": "failure",
            "shortDescription": rejection.short,
            "origin": "ebMS",
        }
        if ref_to:
            attrs["refToMessageInError"] = ref_to
        error = etree.SubElement(signal, f"{{{EB}}}Error", attrs)
        etree.SubElement(error, f"{{{EB}}}ErrorDetail").text = rejection.detail

    return _signal(identity, ref_to, fill)
