"""Our access point's identity from PEM files or a PKCS#12 bundle; unreadable files name the problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from channels import LocalConfigurationError
from channels.peppol.keys import load_identity


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "POP000042")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ap.key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "ap.cert.pem").write_bytes(cert.public_bytes(pem))
    (folder / "trust.pem").write_bytes(cert.public_bytes(pem))
    (folder / "ap.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"ap", key, cert, None, serialization.BestAvailableEncryption(b"secret")
        )
    )
    return folder


def test_pem_and_pkcs12_give_the_same_identity(material):
    from_pem = load_identity(
        key_file=str(material / "ap.key.pem"),
        cert_file=str(material / "ap.cert.pem"),
        truststore=str(material / "trust.pem"),
    )
    from_p12 = load_identity(
        pkcs12_file=str(material / "ap.p12"),
        pkcs12_password="secret",
        truststore=str(material / "trust.pem"),
    )
    assert from_pem.seat == from_p12.seat == "POP000042"
    assert from_pem.certificate == from_p12.certificate


def test_a_wrong_password_or_missing_file_is_a_configuration_error(material):
    with pytest.raises(LocalConfigurationError, match="cannot be read"):
        load_identity(
            pkcs12_file=str(material / "ap.p12"),
            pkcs12_password="wrong",
            truststore=str(material / "trust.pem"),
        )
    with pytest.raises(LocalConfigurationError):
        load_identity(
            key_file=str(material / "missing.pem"),
            cert_file=str(material / "ap.cert.pem"),
            truststore=str(material / "trust.pem"),
        )
