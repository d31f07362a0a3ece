"""Peppol discovery: the SML (DNS, U-NAPTR) names the participant's SMP, whose signed service
metadata names the receiving access point for a document type and process.

Per the Peppol SML 1.3 / SMP 1.4 specifications and the Policy for use of Identifiers 4.4:

* DNS name = base32(SHA-256(lowercase(``ICD:value``))) without padding, lowercased, then
  ``.iso6523-actorid-upis.`` and the SML zone; its ``U`` NAPTR record with service ``Meta:SMP``
  carries a regexp whose result is the SMP base URL.
* ``GET {smp}/iso6523-actorid-upis::{id}`` → ServiceGroup (the document types), ``GET`` of the
  reference for ours → SignedServiceMetadata, whose enveloped XML signature must verify with an
  SMP certificate that chains to the configured SMP trust anchors; what we read is what was signed.
* The endpoint is the one for our process and transport profile ``peppol-transport-as4-v2_0``
  that is active now; its certificate is checked by the channel before anything is sent.

"Not registered" (NXDOMAIN, no SMP entry, no endpoint for this document type) is permanent:
the invoice moves on to the next channel. "Lookup unavailable" (DNS timeout, SMP down, a bad
signature that may be a botched deployment) is transient and retried. DNS is asked afresh after
``cache_seconds`` since SMP changes move participants between access points.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import aiohttp
import dns.asyncresolver
import dns.exception
import dns.resolver
from cryptography import x509
from lxml import etree
from signxml import InvalidInput, XMLVerifier
from signxml.exceptions import InvalidSignature

from formats import xmlsafe
from formats.errors import FormatError
from formats.peppol.identifiers import (
    BILLING_PROCESS,
    DOCUMENT_SCHEME,
    PROCESS_SCHEME,
    ParticipantId,
)

from .. import LocalConfigurationError, LookupUnavailable, RecipientNotRegistered
from .endpoint import Endpoint
from .keys import verify_chain
from .wssec import SecurityError

log = logging.getLogger("fakturaport.smp")

AS4_TRANSPORT = "peppol-transport-as4-v2_0"
SMP = "http://busdox.org/serviceMetadata/publishing/1.0/"
IDS = "http://busdox.org/transport/identifiers/1.0/"
WSA = "http://www.w3.org/2005/08/addressing"
NS = {"smp": SMP, "ids": IDS, "wsa": WSA, "ds": "http://www.w3.org/2000/09/xmldsig#"}
MAX_SMP_ANSWER = 2 * 1024 * 1024
#: The Peppol SML zones (the former DIGIT zones are deprecated).
PRODUCTION_ZONE = "participant.sml.prod.tech.peppol.org"
TEST_ZONE = "participant.sml.test.tech.peppol.org"


def sml_name(participant: ParticipantId | str, zone: str) -> str:
    """The DNS name the SML publishes for a participant (Peppol SML 1.3, BDXL hashing)."""
    pid = (
        participant if isinstance(participant, ParticipantId) else ParticipantId.parse(participant)
    )
    digest = hashlib.sha256(pid.canonical.encode("utf-8")).digest()
    label = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return f"{label}.iso6523-actorid-upis.{zone.strip('.')}"


def apply_naptr_regexp(regexp: str, name: str) -> str:
    """``!^.*$!https://smp.example.com!`` applied to the queried name (RFC 3402 substitution)."""
    if len(regexp) < 3:
        raise ValueError(f"NAPTR regexp {regexp!r} is too short")
    delimiter = regexp[0]
    parts = regexp[1:].split(delimiter)
    if len(parts) < 2:
        raise ValueError(f"NAPTR regexp {regexp!r} is not delimiter-pattern-delimiter-replacement")
    pattern, replacement = parts[0], parts[1]
    match = re.search(pattern, name, flags=re.IGNORECASE if "i" in (parts[2:] or [""])[0] else 0)
    if match is None:
        raise ValueError(f"NAPTR regexp {regexp!r} does not match {name!r}")
    return match.expand(replacement)


@dataclass(frozen=True)
class Registration:
    """What the SMP says about one participant and document type."""

    participant: str
    document_type: str
    smp_url: str
    endpoint: Endpoint
    answer: bytes  #: the signed service metadata, kept as evidence


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _certificate(text: str) -> x509.Certificate:
    body = "".join(line for line in text.splitlines() if "-----" not in line)
    return x509.load_der_x509_certificate(base64.b64decode("".join(body.split())))


class SmpClient:
    def __init__(
        self,
        *,
        zone: str,
        nameserver: str | None = None,
        smp_truststore: str | None = None,
        cache_seconds: float = 300,
        timeout: float = 10,
        transport_profile: str = AS4_TRANSPORT,
    ) -> None:
        if not smp_truststore:
            raise LocalConfigurationError(
                "channels.peppol.smp_truststore is required with sml_zone: SMP answers must be verified"
            )
        try:
            self.smp_trust = tuple(
                x509.load_pem_x509_certificates(Path(smp_truststore).read_bytes())
            )
        except (OSError, ValueError) as exc:
            raise LocalConfigurationError(
                f"channels.peppol.smp_truststore cannot be read: {exc}"
            ) from exc
        self.zone = zone
        self.resolver = dns.asyncresolver.Resolver(configure=nameserver is None)
        if nameserver:
            host, _, port = (
                nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
            )
            self.resolver.nameservers = [host]
            self.resolver.port = int(port or 53)
        self.resolver.lifetime = timeout
        self.timeout = timeout
        self.transport_profile = transport_profile
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str, str], tuple[float, Registration]] = {}
        self._session: aiohttp.ClientSession | None = None

    # --- the channel's interface -------------------------------------------------------------

    async def endpoint(
        self, participant: str, document_type: str, process: str = BILLING_PROCESS
    ) -> tuple[Endpoint, bytes]:
        found = await self.registration(participant, document_type, process)
        return found.endpoint, found.answer

    async def registration(
        self, participant: str, document_type: str, process: str = BILLING_PROCESS
    ) -> Registration:
        pid = self._participant(participant)
        key = (pid.canonical, document_type, process)
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        smp_url = await self.smp_url(pid)
        answer = await self._service_metadata(smp_url, pid, document_type)
        endpoint = self._select(answer, pid, document_type, process)
        found = Registration(str(pid), document_type, smp_url, endpoint, answer)
        self._cache[key] = (time.monotonic() + self.cache_seconds, found)
        return found

    async def document_types(self, participant: str) -> list[str]:
        """The document types the participant's SMP lists (its ServiceGroup)."""
        pid = self._participant(participant)
        return list((await self._service_group(await self.smp_url(pid), pid)).keys())

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- SML -------------------------------------------------------------------------------------

    @staticmethod
    def _participant(participant: str) -> ParticipantId:
        try:
            return ParticipantId.parse(participant)
        except FormatError as exc:
            raise RecipientNotRegistered(str(exc)) from exc

    async def smp_url(self, pid: ParticipantId) -> str:
        name = sml_name(pid, self.zone)
        answer = None
        for attempt in (1, 2):  # an NXDOMAIN is asked twice: SML updates and resolvers hiccup
            try:
                answer = await self.resolver.resolve(name, "NAPTR")
                break
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
                if attempt == 2:
                    raise RecipientNotRegistered(
                        f"{pid} is not registered in the Peppol SML ({self.zone})"
                    ) from exc
                await asyncio.sleep(0.2)
            except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError) as exc:
                raise LookupUnavailable(f"the SML lookup for {pid} failed: {exc}") from exc
        records = sorted(
            (
                r
                for r in answer
                if r.flags.decode().upper() == "U" and r.service.decode() == "Meta:SMP"
            ),
            key=lambda r: (r.order, r.preference),
        )
        for record in records:
            try:
                return apply_naptr_regexp(record.regexp.decode(), name).rstrip("/")
            except ValueError as exc:
                log.warning(
                    "unusable NAPTR record", extra={"participant": str(pid), "error": str(exc)}
                )
        raise RecipientNotRegistered(f"{pid} has no usable Meta:SMP NAPTR record in the SML")

    # --- SMP -------------------------------------------------------------------------------------

    async def _get(self, url: str, what: str) -> bytes | None:
        """The body, or None for 404; transient errors raise LookupUnavailable."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.get(
                url, headers={"Accept": "application/xml"}, allow_redirects=True
            ) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise LookupUnavailable(f"the SMP answered HTTP {response.status} for {what}")
                body = await response.content.read(MAX_SMP_ANSWER + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LookupUnavailable(f"the SMP could not be reached for {what}: {exc}") from exc
        if len(body) > MAX_SMP_ANSWER:
            raise LookupUnavailable(f"the SMP answer for {what} exceeds {MAX_SMP_ANSWER} bytes")
        return body

    async def _service_group(self, smp_url: str, pid: ParticipantId) -> dict[str, str]:
        body = await self._get(f"{smp_url}/{quote(pid.uri, safe='')}", f"{pid}")
        if body is None:
            raise RecipientNotRegistered(f"{pid} is in the SML but its SMP does not know it")
        try:
            root = xmlsafe.parse(body)
        except FormatError as exc:
            raise LookupUnavailable(f"the SMP ServiceGroup of {pid} is not XML: {exc}") from exc
        types = {}
        for ref in root.iterfind(".//smp:ServiceMetadataReference", NS):
            href = ref.get("href") or ""
            tail = unquote(href).split("/services/", 1)[-1]
            scheme, _, value = tail.partition("::")
            if scheme.lower() == DOCUMENT_SCHEME:
                types[value] = href
        return types

    async def _service_metadata(
        self, smp_url: str, pid: ParticipantId, document_type: str
    ) -> bytes:
        types = await self._service_group(smp_url, pid)
        href = types.get(document_type) or next(
            (h for t, h in types.items() if t.lower() == document_type.lower()), None
        )
        if href is None:
            raise RecipientNotRegistered(
                f"{pid} does not receive this document type over Peppol ({document_type})"
            )
        for _ in range(2):  # one Redirect to another SMP is allowed
            body = await self._get(href, f"{pid} / {document_type}")
            if body is None:
                raise RecipientNotRegistered(
                    f"the SMP lists {document_type} for {pid} but has no metadata for it"
                )
            signed = self._verified(body, pid)
            redirect = signed.find("smp:ServiceMetadata/smp:Redirect", NS)
            if redirect is None:
                return etree.tostring(signed)
            href = redirect.get("href") or ""
        raise LookupUnavailable(f"the SMP of {pid} redirects more than once")

    def _verified(self, body: bytes, pid: ParticipantId) -> etree._Element:
        """The part of an SMP answer that its SMP signed (never the unsigned rest)."""
        try:
            root = xmlsafe.parse(body)
        except FormatError as exc:
            raise LookupUnavailable(f"the SMP answer for {pid} is not XML: {exc}") from exc
        cert_text = root.findtext(
            "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=NS
        )
        if not cert_text:
            raise LookupUnavailable(
                f"the SMP answer for {pid} is not signed with an X.509 certificate"
            )
        try:
            certificate = _certificate(cert_text)
            verify_chain(certificate, self.smp_trust)
            result = XMLVerifier().verify(root, x509_cert=certificate, expect_references=1)
        except (SecurityError, ValueError) as exc:
            raise LookupUnavailable(f"the SMP certificate for {pid} is not trusted: {exc}") from exc
        except (InvalidSignature, InvalidInput) as exc:
            raise LookupUnavailable(f"the SMP signature for {pid} does not verify: {exc}") from exc
        return result.signed_xml

    def _select(
        self, answer: bytes, pid: ParticipantId, document_type: str, process: str
    ) -> Endpoint:
        info = etree.fromstring(answer).find("smp:ServiceMetadata/smp:ServiceInformation", NS)
        if info is None:
            raise LookupUnavailable(f"the SMP metadata for {pid} has no ServiceInformation")
        said_pid = info.findtext("ids:ParticipantIdentifier", default="", namespaces=NS).strip()
        said_doc = info.findtext("ids:DocumentIdentifier", default="", namespaces=NS).strip()
        if said_pid.lower() != str(pid).lower() or said_doc != document_type:
            raise LookupUnavailable(
                f"the SMP answered for {said_pid} / {said_doc}, not for what was asked"
            )
        now = datetime.now(UTC)
        inactive = None
        for proc in info.iterfind("smp:ProcessList/smp:Process", NS):
            pid_el = proc.find("ids:ProcessIdentifier", NS)
            if (
                pid_el is None
                or (pid_el.text or "").strip() != process
                or (pid_el.get("scheme") or PROCESS_SCHEME) != PROCESS_SCHEME
            ):
                continue
            for ep in proc.iterfind("smp:ServiceEndpointList/smp:Endpoint", NS):
                if ep.get("transportProfile") != self.transport_profile:
                    continue
                activation = _datetime(ep.findtext("smp:ServiceActivationDate", namespaces=NS))
                expiration = _datetime(ep.findtext("smp:ServiceExpirationDate", namespaces=NS))
                if (activation and activation > now) or (expiration and expiration <= now):
                    inactive = f"active {activation or '…'} to {expiration or '…'}"
                    continue
                url = (
                    ep.findtext("wsa:EndpointReference/wsa:Address", namespaces=NS) or ""
                ).strip()
                try:
                    certificate = _certificate(
                        ep.findtext("smp:Certificate", default="", namespaces=NS)
                    )
                except ValueError as exc:
                    raise LookupUnavailable(
                        f"the SMP endpoint certificate for {pid} cannot be read: {exc}"
                    ) from exc
                contact = ep.findtext("smp:TechnicalContactUrl", namespaces=NS)
                return Endpoint(url, certificate, activation, expiration, contact)
        if inactive:
            raise RecipientNotRegistered(
                f"the Peppol endpoint of {pid} for this document type is not active now ({inactive})"
            )
        raise RecipientNotRegistered(
            f"{pid} has no {self.transport_profile} endpoint for process {process}"
        )
