"""WS-Security for AS4 by hand (lxml + cryptography): exclusive-c14n digests, RSA-SHA256
signatures over ebMS Messaging, the SOAP Body and SwA attachments, and AES-128-GCM attachment
encryption with an RSA-OAEP (MGF1-SHA256) key transport — what the Peppol AS4 profile requires.

signxml cannot sign ``cid:`` references and libxmlsec1 lacks the SwA transforms, hence this module.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from .names import DS, EXC_C14N, RSA_SHA256, SHA256, SWA_CONTENT_SIGNATURE, WSU


class SecurityError(Exception):
    """A signature, certificate or encryption check failed; the message says which."""


def c14n(element: etree._Element, inclusive: list[str] | None = None) -> bytes:
    return etree.tostring(
        element,
        method="c14n",
        exclusive=True,
        with_comments=False,
        inclusive_ns_prefixes=inclusive or None,
    )


def _inclusive_prefixes(algorithm_holder: etree._Element | None) -> list[str]:
    """The ``ec:InclusiveNamespaces PrefixList`` of an exclusive-c14n method or transform (WSS4J
    and libxmlsec1 senders put the SOAP prefix there)."""
    if algorithm_holder is None:
        return []
    found = algorithm_holder.find(f"{{{EXC_C14N}}}InclusiveNamespaces")
    return (found.get("PrefixList") or "").split() if found is not None else []


def digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _ds(parent: etree._Element, name: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{DS}}}{name}", attrs)


def signed_info(references: list[tuple[str, str, str]]) -> etree._Element:
    """SignedInfo for (URI, transform algorithm, digest) triples."""
    info = etree.Element(f"{{{DS}}}SignedInfo", nsmap={"ds": DS})
    _ds(info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _ds(info, "SignatureMethod", Algorithm=RSA_SHA256)
    for uri, transform, value in references:
        ref = _ds(info, "Reference", URI=uri)
        _ds(_ds(ref, "Transforms"), "Transform", Algorithm=transform)
        _ds(ref, "DigestMethod", Algorithm=SHA256)
        _ds(ref, "DigestValue").text = value
    return info


def sign(info: etree._Element, key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(c14n(info), padding.PKCS1v15(), hashes.SHA256())).decode()


def by_wsu_id(root: etree._Element) -> dict[str, etree._Element]:
    found = {}
    for el in root.iter(etree.Element):
        value = el.get(f"{{{WSU}}}Id") or el.get("Id")
        if value:
            found[value] = el
    return found


def verify_signature(
    signature: etree._Element,
    root: etree._Element,
    certificate: x509.Certificate,
    attachments: Mapping[str, bytes],
    *,
    required: Callable[[list[str]], None] | None = None,
) -> list[tuple[str, str]]:
    """Check every reference digest and the signature value; returns (URI, digest) pairs."""
    info = signature.find(f"{{{DS}}}SignedInfo")
    value = signature.findtext(f"{{{DS}}}SignatureValue")
    if info is None or not value:
        raise SecurityError("the signature has no SignedInfo or SignatureValue")
    method = info.find(f"{{{DS}}}SignatureMethod")
    if method is None or method.get("Algorithm") != RSA_SHA256:
        raise SecurityError("only RSA-SHA256 signatures are accepted")
    ids = by_wsu_id(root)
    checked = []
    for ref in info.iterfind(f"{{{DS}}}Reference"):
        uri = ref.get("URI") or ""
        expected = (ref.findtext(f"{{{DS}}}DigestValue") or "").strip()
        steps = list(ref.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform"))
        transforms = [t.get("Algorithm") for t in steps]
        if uri.startswith("cid:"):
            content = attachments.get(uri[4:])
            if content is None or SWA_CONTENT_SIGNATURE not in transforms:
                raise SecurityError(f"signed attachment {uri} is missing")
            actual = digest(content)
        elif uri.startswith("#") and uri[1:] in ids:
            inclusive = [
                p for t in steps if t.get("Algorithm") == EXC_C14N for p in _inclusive_prefixes(t)
            ]
            actual = digest(c14n(ids[uri[1:]], inclusive))
        else:
            raise SecurityError(f"signed reference {uri} not found in the message")
        if actual != expected:
            raise SecurityError(f"digest of {uri} does not match: the message was changed")
        checked.append((uri, expected))
    if required is not None:
        required([u for u, _ in checked])
    try:
        canonical = c14n(info, _inclusive_prefixes(info.find(f"{{{DS}}}CanonicalizationMethod")))
        certificate.public_key().verify(
            base64.b64decode(value), canonical, padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError) as exc:
        raise SecurityError(
            "the signature value does not verify with the signer's certificate"
        ) from exc
    return checked


def encrypt_attachment(content: bytes) -> tuple[bytes, bytes]:
    """(AES-128 key, IV ‖ ciphertext ‖ tag) as XML Encryption 1.1 AES-GCM writes it."""
    key = AESGCM.generate_key(bit_length=128)
    iv = os.urandom(12)
    return key, iv + AESGCM(key).encrypt(iv, content, None)


def decrypt_attachment(key: bytes, data: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(data[:12], data[12:], None)
    except (InvalidTag, ValueError) as exc:
        raise SecurityError(
            "the attachment cannot be decrypted (wrong key or tampered data)"
        ) from exc


_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def wrap_key(key: bytes, certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_key().encrypt(key, _OAEP)).decode()


def unwrap_key(cipher: str, private_key: rsa.RSAPrivateKey) -> bytes:
    try:
        return private_key.decrypt(base64.b64decode(cipher), _OAEP)
    except ValueError as exc:
        raise SecurityError("the key transport cannot be decrypted with our private key") from exc


def der_b64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def load_certificate_b64(text: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    except ValueError as exc:
        raise SecurityError("the BinarySecurityToken is not an X.509 certificate") from exc
