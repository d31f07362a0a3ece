"""Building a Peppol AS4 UserMessage: ebMS3 header, gzip-compressed SBDH payload as a SwA
attachment, signed (Messaging, Body, attachment) and then encrypted for the receiving AP.

The MessageId is the caller's (stable across retries); only the cryptographic wrapping is new on
each attempt. The references and their digests are returned so the receipt's non-repudiation
information can be checked against exactly what was sent.
"""

from __future__ import annotations

import gzip
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree

from . import wssec
from .keys import Identity
from .names import (
    AES128_GCM,
    AGREEMENT,
    AP_PARTY_TYPE,
    BASE64,
    DS,
    EB,
    ENCRYPTED_KEY_TOKEN,
    EXC_C14N,
    INITIATOR,
    MGF1_SHA256,
    RESPONDER,
    RSA_OAEP,
    S12,
    SHA256,
    SWA_CIPHERTEXT,
    SWA_CONTENT_ONLY,
    SWA_CONTENT_SIGNATURE,
    WSSE,
    WSSE11,
    WSU,
    X509V3,
    XENC,
    XENC11,
)


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    content_type: str
    body: bytes
    references: tuple[tuple[str, str], ...]  #: (URI, digest) we signed


def _el(
    parent: etree._Element, ns: str, tag: str, text: str | None = None, /, **attrs: str
) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _user_message(
    messaging: etree._Element,
    *,
    message_id: str,
    sender_seat: str,
    receiver_seat: str,
    process: str,
    document_type: str,
    sender: str,
    receiver: str,
    cid: str,
) -> None:
    um = _el(messaging, EB, "UserMessage")
    info = _el(um, EB, "MessageInfo")
    _el(info, EB, "Timestamp", datetime.now(UTC).isoformat(timespec="milliseconds"))
    _el(info, EB, "MessageId", message_id)
    party = _el(um, EB, "PartyInfo")
    for side, seat, role in (("From", sender_seat, INITIATOR), ("To", receiver_seat, RESPONDER)):
        node = _el(party, EB, side)
        _el(node, EB, "PartyId", seat, type=AP_PARTY_TYPE)
        _el(node, EB, "Role", role)
    collab = _el(um, EB, "CollaborationInfo")
    _el(collab, EB, "AgreementRef", AGREEMENT)
    _el(collab, EB, "Service", process, type="cenbii-procid-ubl")
    _el(collab, EB, "Action", f"busdox-docid-qns::{document_type}")
    _el(collab, EB, "ConversationId", message_id.split("@")[0])
    props = _el(um, EB, "MessageProperties")
    _el(props, EB, "Property", sender, name="originalSender", type="iso6523-actorid-upis")
    _el(props, EB, "Property", receiver, name="finalRecipient", type="iso6523-actorid-upis")
    part = _el(_el(um, EB, "PayloadInfo"), EB, "PartInfo", href=f"cid:{cid}")
    pp = _el(part, EB, "PartProperties")
    _el(pp, EB, "Property", "application/xml", name="MimeType")
    _el(pp, EB, "Property", "application/gzip", name="CompressionType")


def build(
    sbdh: bytes,
    *,
    identity: Identity,
    receiver_certificate: x509.Certificate,
    receiver_seat: str,
    message_id: str,
    sender: str,
    receiver: str,
    document_type: str,
    process: str,
) -> Outgoing:
    cid = f"{uuid.uuid4()}@fakturaport"
    compressed = gzip.compress(sbdh, mtime=0)
    env = etree.Element(
        f"{{{S12}}}Envelope",
        nsmap={"S12": S12, "eb": EB, "wsse": WSSE, "wsu": WSU, "ds": DS, "xenc": XENC},
    )
    header = _el(env, S12, "Header")
    security = _el(header, WSSE, "Security", **{f"{{{S12}}}mustUnderstand": "true"})
    messaging = _el(
        header,
        EB,
        "Messaging",
        **{f"{{{S12}}}mustUnderstand": "true", f"{{{WSU}}}Id": f"Messaging-{uuid.uuid4()}"},
    )
    _user_message(
        messaging,
        message_id=message_id,
        sender_seat=identity.seat,
        receiver_seat=receiver_seat,
        process=process,
        document_type=document_type,
        sender=sender,
        receiver=receiver,
        cid=cid,
    )
    body = _el(env, S12, "Body", **{f"{{{WSU}}}Id": f"Body-{uuid.uuid4()}"})

    # tokens: the receiver's certificate (for the key transport) and ours (for the signature)
    recipient_token = f"X509-{uuid.uuid4()}"
    our_token = f"X509-{uuid.uuid4()}"
    for token_id, cert in (
        (recipient_token, receiver_certificate),
        (our_token, identity.certificate),
    ):
        _el(
            security,
            WSSE,
            "BinarySecurityToken",
            wssec.der_b64(cert),
            EncodingType=BASE64,
            ValueType=X509V3,
            **{f"{{{WSU}}}Id": token_id},
        )

    # encryption of the (compressed) attachment: EncryptedKey + EncryptedData with a cid reference
    key, ciphertext = wssec.encrypt_attachment(compressed)
    ek_id, ed_id = f"EK-{uuid.uuid4()}", f"ED-{uuid.uuid4()}"
    ek = _el(security, XENC, "EncryptedKey", Id=ek_id)
    method = _el(ek, XENC, "EncryptionMethod", Algorithm=RSA_OAEP)
    _el(method, DS, "DigestMethod", Algorithm=SHA256)
    _el(method, XENC11, "MGF", Algorithm=MGF1_SHA256)
    str_ = _el(_el(ek, DS, "KeyInfo"), WSSE, "SecurityTokenReference")
    _el(str_, WSSE, "Reference", URI=f"#{recipient_token}", ValueType=X509V3)
    _el(_el(ek, XENC, "CipherData"), XENC, "CipherValue", wssec.wrap_key(key, receiver_certificate))
    _el(_el(ek, XENC, "ReferenceList"), XENC, "DataReference", URI=f"#{ed_id}")
    ed = _el(
        security,
        XENC,
        "EncryptedData",
        Id=ed_id,
        Type=SWA_CONTENT_ONLY,
        MimeType="application/gzip",
    )
    _el(ed, XENC, "EncryptionMethod", Algorithm=AES128_GCM)
    ref = _el(
        _el(ed, DS, "KeyInfo"),
        WSSE,
        "SecurityTokenReference",
        **{f"{{{WSSE11}}}TokenType": ENCRYPTED_KEY_TOKEN},
    )
    _el(ref, WSSE, "Reference", URI=f"#{ek_id}")
    cref = _el(_el(ed, XENC, "CipherData"), XENC, "CipherReference", URI=f"cid:{cid}")
    _el(_el(cref, XENC, "Transforms"), DS, "Transform", Algorithm=SWA_CIPHERTEXT)

    # signature over Messaging, Body and the attachment's content (before encryption)
    references = [
        (f"#{messaging.get(f'{{{WSU}}}Id')}", EXC_C14N, wssec.digest(wssec.c14n(messaging))),
        (f"#{body.get(f'{{{WSU}}}Id')}", EXC_C14N, wssec.digest(wssec.c14n(body))),
        (f"cid:{cid}", SWA_CONTENT_SIGNATURE, wssec.digest(compressed)),
    ]
    signature = _el(security, DS, "Signature", Id=f"SIG-{uuid.uuid4()}")
    info = wssec.signed_info(references)
    signature.append(info)
    # c14n of SignedInfo as it sits in the document (namespace context matters to exc-c14n only for used prefixes)
    _el(signature, DS, "SignatureValue", wssec.sign(info, identity.key))
    key_ref = _el(_el(signature, DS, "KeyInfo"), WSSE, "SecurityTokenReference")
    _el(key_ref, WSSE, "Reference", URI=f"#{our_token}", ValueType=X509V3)

    soap = etree.tostring(env, xml_declaration=False, encoding="UTF-8")
    content_type, body_bytes = _mime(soap, cid, ciphertext)
    return Outgoing(message_id, content_type, body_bytes, tuple((u, d) for u, _, d in references))


def _mime(soap: bytes, cid: str, attachment: bytes) -> tuple[str, bytes]:
    """multipart/related with the SOAP envelope first and the binary attachment second."""
    boundary = f"----=_Part_{uuid.uuid4().hex}"
    body = b"".join(
        (
            f"--{boundary}\r\nContent-Type: application/soap+xml; charset=UTF-8\r\n\r\n".encode(),
            soap,
            f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{cid}>\r\n\r\n".encode(),
            attachment,
            f"\r\n--{boundary}--\r\n".encode(),
        )
    )
    return f'multipart/related; type="application/soap+xml"; boundary="{boundary}"', body
