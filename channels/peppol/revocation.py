"""Is a Peppol certificate revoked? OCSP first (the certificate's AIA responder), the CRL of its
distribution point second, each answer cached until its nextUpdate (at most ``cache_seconds``).

Three outcomes, kept apart because they call for different actions: ``good``; ``revoked``
(permanent: never send to, or accept from, that access point); ``unknown`` (the responder or CRL
could not be reached or did not verify: retry later). A certificate that names no OCSP responder
and no CRL is ``good`` under the default policy ``prefer`` and ``unknown`` under ``require``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import aiohttp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, ExtensionOID

log = logging.getLogger("fakturaport.revocation")
MAX_ANSWER = 10 * 1024 * 1024


class Status(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    status: Status
    source: str  #: "ocsp", "crl" or "none"
    detail: str = ""


def _verify_signed_by(
    issuer: x509.Certificate, signature: bytes, data: bytes, hash_algorithm
) -> None:
    key = issuer.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hash_algorithm))
    else:
        raise InvalidSignature("unsupported issuer key type")


def _urls(certificate: x509.Certificate) -> tuple[list[str], list[str]]:
    ocsp_urls, crl_urls = [], []
    try:
        aia = certificate.extensions.get_extension_for_oid(
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS
        ).value
        ocsp_urls = [
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        points = certificate.extensions.get_extension_for_oid(
            ExtensionOID.CRL_DISTRIBUTION_POINTS
        ).value
        crl_urls = [
            n.value
            for p in points
            for n in (p.full_name or [])
            if isinstance(n, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    return [u for u in ocsp_urls if u.startswith("http")], [
        u for u in crl_urls if u.startswith("http")
    ]


class RevocationChecker:
    def __init__(
        self, *, policy: str = "prefer", cache_seconds: float = 3600, timeout: float = 10
    ) -> None:
        if policy not in ("prefer", "require", "off"):
            raise ValueError(f"revocation policy must be prefer, require or off, not {policy!r}")
        self.policy = policy
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._verdicts: dict[tuple[int, str], tuple[float, Verdict]] = {}
        self._crls: dict[str, tuple[float, x509.CertificateRevocationList]] = {}
        self._session: aiohttp.ClientSession | None = None
        self.fetches = (
            0  #: network requests made (the cache's effect is visible in tests and metrics)
        )

    async def check(self, certificate: x509.Certificate, issuer: x509.Certificate) -> Verdict:
        if self.policy == "off":
            return Verdict(Status.GOOD, "none", "revocation checking is off")
        key = (certificate.serial_number, issuer.subject.rfc4514_string())
        cached = self._verdicts.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        ocsp_urls, crl_urls = _urls(certificate)
        if not ocsp_urls and not crl_urls:
            status = Status.UNKNOWN if self.policy == "require" else Status.GOOD
            return Verdict(status, "none", "the certificate names no OCSP responder and no CRL")
        verdict, until = Verdict(Status.UNKNOWN, "none", "no answer"), 0.0
        for url in ocsp_urls:
            verdict, until = await self._ocsp(url, certificate, issuer)
            if verdict.status is not Status.UNKNOWN:
                break
        if verdict.status is Status.UNKNOWN:
            for url in crl_urls:
                verdict, until = await self._crl(url, certificate, issuer)
                if verdict.status is not Status.UNKNOWN:
                    break
        if verdict.status is not Status.UNKNOWN:  # "unknown" is asked again next time
            self._verdicts[key] = (min(until, time.monotonic() + self.cache_seconds), verdict)
        return verdict

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(self, method: str, url: str, **kwargs) -> bytes:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self.fetches += 1
        async with self._session.request(method, url, **kwargs) as response:
            if response.status != 200:
                raise OSError(f"HTTP {response.status} from {url}")
            body = await response.content.read(MAX_ANSWER + 1)
        if len(body) > MAX_ANSWER:
            raise OSError(f"the answer from {url} is too large")
        return body

    @staticmethod
    def _until(next_update: datetime | None) -> float:
        if next_update is None:
            return time.monotonic()
        return time.monotonic() + max(0.0, (next_update - datetime.now(UTC)).total_seconds())

    async def _ocsp(
        self, url: str, certificate: x509.Certificate, issuer: x509.Certificate
    ) -> tuple[Verdict, float]:
        request = (
            ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
        )
        try:
            body = await self._fetch(
                "POST",
                url,
                data=request.public_bytes(serialization.Encoding.DER),
                headers={"Content-Type": "application/ocsp-request"},
            )
            answer = ocsp.load_der_ocsp_response(body)
        except (OSError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return Verdict(Status.UNKNOWN, "ocsp", f"{url}: {exc}"), 0.0
        if answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return Verdict(
                Status.UNKNOWN, "ocsp", f"{url}: responder status {answer.response_status.name}"
            ), 0.0
        try:
            signer = self._ocsp_signer(answer, issuer)
            _verify_signed_by(
                signer, answer.signature, answer.tbs_response_bytes, answer.signature_hash_algorithm
            )
        except (InvalidSignature, ValueError) as exc:
            return Verdict(
                Status.UNKNOWN, "ocsp", f"{url}: the OCSP answer does not verify ({exc})"
            ), 0.0
        if answer.serial_number != certificate.serial_number:
            return Verdict(
                Status.UNKNOWN, "ocsp", f"{url}: the answer is about another certificate"
            ), 0.0
        now = datetime.now(UTC)
        if answer.next_update_utc is not None and answer.next_update_utc < now:
            return Verdict(Status.UNKNOWN, "ocsp", f"{url}: the answer is stale"), 0.0
        if answer.certificate_status == ocsp.OCSPCertStatus.REVOKED:
            return Verdict(
                Status.REVOKED, "ocsp", f"revoked at {answer.revocation_time_utc}"
            ), time.monotonic() + self.cache_seconds
        if answer.certificate_status == ocsp.OCSPCertStatus.GOOD:
            return Verdict(Status.GOOD, "ocsp"), self._until(answer.next_update_utc)
        return Verdict(
            Status.UNKNOWN, "ocsp", f"{url}: the responder does not know the certificate"
        ), 0.0

    @staticmethod
    def _ocsp_signer(answer: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate:
        """The issuer itself, or a delegated responder it issued for OCSP signing (RFC 6960 4.2.2.2)."""
        for delegate in answer.certificates:
            if delegate.issuer != issuer.subject:
                continue
            _verify_signed_by(
                issuer,
                delegate.signature,
                delegate.tbs_certificate_bytes,
                delegate.signature_hash_algorithm,
            )
            usage = delegate.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
            if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
                raise ValueError("the responder certificate is not for OCSP signing")
            return delegate
        return issuer

    async def _crl(
        self, url: str, certificate: x509.Certificate, issuer: x509.Certificate
    ) -> tuple[Verdict, float]:
        cached = self._crls.get(url)
        if cached and cached[0] > time.monotonic():
            crl = cached[1]
        else:
            try:
                body = await self._fetch("GET", url)
                crl = (
                    x509.load_der_x509_crl(body)
                    if not body.lstrip().startswith(b"-----")
                    else x509.load_pem_x509_crl(body)
                )
            except (OSError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
                return Verdict(Status.UNKNOWN, "crl", f"{url}: {exc}"), 0.0
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
                return Verdict(
                    Status.UNKNOWN,
                    "crl",
                    f"{url}: the CRL is not signed by the certificate's issuer",
                ), 0.0
            if crl.next_update_utc is not None and crl.next_update_utc < datetime.now(UTC):
                return Verdict(
                    Status.UNKNOWN, "crl", f"{url}: the CRL is past its next update"
                ), 0.0
            self._crls[url] = (
                min(self._until(crl.next_update_utc), time.monotonic() + self.cache_seconds),
                crl,
            )
        until = self._crls[url][0]
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is not None:
            return Verdict(Status.REVOKED, "crl", f"revoked at {entry.revocation_date_utc}"), until
        return Verdict(Status.GOOD, "crl"), until
