"""Our access point's key and certificate, and the Peppol trust anchors, from PEM or PKCS#12.

``verify_chain`` checks a peer certificate the way Peppol requires before we trust it: signed by
a trusted AP CA (or through one), within its validity period; it returns the chain so that
``revocation`` can ask the issuer's OCSP responder or CRL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .. import LocalConfigurationError
from .wssec import SecurityError


@dataclass(frozen=True)
class Identity:
    """Our key, our certificate and the trust anchors for peers."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    trust: tuple[x509.Certificate, ...]

    @property
    def seat(self) -> str:
        return common_name(self.certificate)


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def load_identity(
    *,
    key_file: str | None = None,
    cert_file: str | None = None,
    pkcs12_file: str | None = None,
    pkcs12_password: str | None = None,
    truststore: str,
) -> Identity:
    try:
        if pkcs12_file:
            key, cert, _ = pkcs12.load_key_and_certificates(
                Path(pkcs12_file).read_bytes(), (pkcs12_password or "").encode() or None
            )
        else:
            key = serialization.load_pem_private_key(
                Path(key_file or "").read_bytes(), password=None
            )
            cert = x509.load_pem_x509_certificate(Path(cert_file or "").read_bytes())
        trust = tuple(x509.load_pem_x509_certificates(Path(truststore).read_bytes()))
    except (OSError, ValueError) as exc:
        raise LocalConfigurationError(
            f"the access point key, certificate or truststore cannot be read: {exc}"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise LocalConfigurationError(
            "the access point key must be an RSA key with its certificate"
        )
    return Identity(key, cert, trust)


def verify_chain(
    certificate: x509.Certificate, trust: tuple[x509.Certificate, ...], when: datetime | None = None
) -> list[x509.Certificate]:
    """The certificate is valid now and issued (directly or via a trusted CA) by a trust anchor;
    returns the chain from the certificate up to that anchor."""
    when = when or datetime.now(UTC)
    current = certificate
    chain = [certificate]
    for _ in range(4):
        if not current.not_valid_before_utc <= when <= current.not_valid_after_utc:
            raise SecurityError(
                f"certificate {common_name(current)!r} is not valid at {when:%Y-%m-%d}"
            )
        issuer = next((t for t in trust if t.subject == current.issuer), None)
        if issuer is None:
            raise SecurityError(
                f"certificate {common_name(current)!r} is not issued by a trusted Peppol CA"
            )
        try:
            issuer.public_key().verify(
                current.signature,
                current.tbs_certificate_bytes,
                padding.PKCS1v15(),
                current.signature_hash_algorithm,
            )
        except Exception as exc:
            raise SecurityError(
                f"certificate {common_name(current)!r} has a bad issuer signature"
            ) from exc
        chain.append(issuer)
        if issuer.subject == issuer.issuer:
            return chain  # reached a self-signed root we trust
        current = issuer
    raise SecurityError("certificate chain too long")
