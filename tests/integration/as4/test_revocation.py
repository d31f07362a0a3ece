"""Revocation of access point certificates against a local OCSP responder and CRL server of a
test CA: good, revoked (permanent) and unknown (transient) stay apart, OCSP falls back to the CRL,
and answers are cached until their next update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from channels import EndpointCertificateInvalid, LookupUnavailable
from channels.peppol import PeppolChannel
from channels.peppol.keys import Identity
from channels.peppol.revocation import RevocationChecker, Status

NOW = datetime.now(UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class LocalCa:
    def __init__(self) -> None:
        self.key = _key()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("Revocation Test CA"))
            .issuer_name(_name("Revocation Test CA"))
            .public_key(self.key.public_key())
            .serial_number(1)
            .not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.revoked: set[int] = set()
        self.ocsp_up = True
        self.crl_up = True
        self.base = ""

    def issue(self, cn: str, *, pointers: bool = True) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.cert.subject)
            .public_key(_key().public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=10))
        )
        if pointers:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(f"{self.base}/ocsp"),
                        )
                    ]
                ),
                critical=False,
            )
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(f"{self.base}/ca.crl")],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                critical=False,
            )
        return builder.sign(self.key, hashes.SHA256())

    async def ocsp(self, request: web.Request) -> web.Response:
        if not self.ocsp_up:
            raise web.HTTPServiceUnavailable()
        asked = ocsp.load_der_ocsp_request(await request.read())
        status = (
            ocsp.OCSPCertStatus.REVOKED
            if asked.serial_number in self.revoked
            else ocsp.OCSPCertStatus.GOOD
        )
        # The responder answers about the certificate asked for; a stand-in subject is enough to build it.
        subject = (
            x509.CertificateBuilder()
            .subject_name(_name("x"))
            .issuer_name(self.cert.subject)
            .public_key(self.key.public_key())
            .serial_number(asked.serial_number)
            .not_valid_before(NOW)
            .not_valid_after(NOW + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=subject,
                issuer=self.cert,
                algorithm=hashes.SHA256(),
                cert_status=status,
                this_update=NOW,
                next_update=NOW + timedelta(hours=1),
                revocation_time=NOW - timedelta(hours=1)
                if status is ocsp.OCSPCertStatus.REVOKED
                else None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.cert)
            .sign(self.key, hashes.SHA256())
        )
        return web.Response(
            body=response.public_bytes(serialization.Encoding.DER),
            content_type="application/ocsp-response",
        )

    async def crl(self, request: web.Request) -> web.Response:
        if not self.crl_up:
            raise web.HTTPServiceUnavailable()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(NOW)
            .next_update(NOW + timedelta(hours=1))
        )
        for serial in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(NOW - timedelta(hours=1))
                .build()
            )
        crl = builder.sign(self.key, hashes.SHA256())
        return web.Response(
            body=crl.public_bytes(serialization.Encoding.DER), content_type="application/pkix-crl"
        )


@pytest.fixture
async def ca():
    authority = LocalCa()
    app = web.Application()
    app.router.add_post("/ocsp", authority.ocsp)
    app.router.add_get("/ca.crl", authority.crl)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    authority.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    yield authority
    await runner.cleanup()


@pytest.fixture
async def checker():
    made = RevocationChecker()
    yield made
    await made.aclose()


async def test_ocsp_says_good_or_revoked_and_is_cached(ca, checker):
    good, bad = ca.issue("POP000101"), ca.issue("POP000102")
    ca.revoked.add(bad.serial_number)
    assert (await checker.check(good, ca.cert)).status is Status.GOOD
    verdict = await checker.check(bad, ca.cert)
    assert verdict.status is Status.REVOKED and verdict.source == "ocsp"
    fetches = checker.fetches
    assert (await checker.check(good, ca.cert)).status is Status.GOOD
    assert checker.fetches == fetches


async def test_without_ocsp_the_crl_decides(ca, checker):
    good, bad = ca.issue("POP000103"), ca.issue("POP000104")
    ca.revoked.add(bad.serial_number)
    ca.ocsp_up = False
    assert (await checker.check(good, ca.cert)).status is Status.GOOD
    verdict = await checker.check(bad, ca.cert)
    assert verdict.status is Status.REVOKED and verdict.source == "crl"


async def test_no_answer_is_unknown_and_asked_again(ca, checker):
    cert = ca.issue("POP000105")
    ca.ocsp_up = ca.crl_up = False
    assert (await checker.check(cert, ca.cert)).status is Status.UNKNOWN
    ca.ocsp_up = True
    assert (await checker.check(cert, ca.cert)).status is Status.GOOD


async def test_a_certificate_without_pointers_depends_on_the_policy(ca):
    bare = ca.issue("POP000106", pointers=False)
    assert (await RevocationChecker(policy="prefer").check(bare, ca.cert)).status is Status.GOOD
    assert (await RevocationChecker(policy="require").check(bare, ca.cert)).status is Status.UNKNOWN


async def test_the_channel_refuses_a_revoked_endpoint_and_retries_an_unknown_one(ca):
    ours = ca.issue("POP000107")
    channel = PeppolChannel(Identity(_key(), ours, (ca.cert,)), {})
    try:
        revoked = ca.issue("POP000108")
        ca.revoked.add(revoked.serial_number)
        with pytest.raises(EndpointCertificateInvalid, match="revoked"):
            await channel.check_certificate(revoked)
        ca.ocsp_up = ca.crl_up = False
        with pytest.raises(LookupUnavailable, match="unknown"):
            await channel.check_certificate(ca.issue("POP000109"))
    finally:
        await channel.aclose()
