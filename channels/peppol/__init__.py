"""Channel ``peppol``: the invoice as Peppol BIS UBL in an SBDH, sent over AS4 to the recipient's
access point, with the signed receipt as proof.

Settings (``[channels.peppol]``): ``key_file`` + ``cert_file`` (or ``pkcs12_file`` +
``pkcs12_password``) of our AP, ``truststore`` (PEM: the Peppol root and AP CA), ``country_c1``
(default for the SBDH), ``timeout``, and the receiving endpoints: ``endpoints`` maps participant
ids to ``{url, certificate}`` for bilateral set-ups and tests; otherwise the SMP is asked
(``channels.peppol.smp``: ``sml_zone``, ``dns_server``, ``smp_truststore``, ``smp_cache_seconds``).
Certificates of receiving access points are checked for revocation (``revocation`` = prefer,
require or off; ``revocation_cache_seconds``): revoked is permanent, unknown is retried.

MLS: every invoice asks the receiving access point for a Message Level Status (SBDH scopes
``MLS_TO`` = our SPIS id, ``MLS_TYPE``). With ``await_mls = true`` the receipt only proves arrival
at the receiving access point; the invoice waits for the MLS (AP/AB confirm, RE fails it over to
the next channel) and the watchdog flags it overdue when none comes within the channel's SLA.

Outcomes: a verified receipt (or "duplicate" for our own MessageId) is delivered; HTTP 5xx,
timeouts, garbage and ebMS errors that a resend may cure are transient; PEPPOL:NOT_SERVICED, a
security or policy failure, an unknown participant or an untrusted endpoint certificate are
permanent and pass the invoice on to the next channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from cryptography import x509

from formats.errors import FormatError
from formats.peppol.identifiers import (
    CREDIT_NOTE_DOCUMENT_TYPE,
    INVOICE_DOCUMENT_TYPE,
    ParticipantId,
)
from formats.peppol.mls import spis_id
from formats.peppol.sbdh import wrap

from .. import (
    DeliveryTimeout,
    EndpointCertificateInvalid,
    Envelope,
    Evidence,
    LocalConfigurationError,
    LookupUnavailable,
    Receipt,
    RecipientNotRegistered,
    RemoteRejected,
    RemoteUnavailable,
    SignalMissing,
)
from . import as4_message, as4_signals
from .endpoint import Endpoint
from .keys import Identity, load_identity, verify_chain
from .revocation import RevocationChecker, Status
from .wssec import SecurityError

BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


class PeppolChannel:
    name = "peppol"

    def __init__(
        self,
        identity: Identity,
        endpoints: Mapping[str, Endpoint],
        *,
        country_c1: str = "SE",
        timeout: float = 60.0,
        smp: Any = None,
        await_mls: bool = False,
        mls_ack_seconds: float = 3600,
        revocation: RevocationChecker | None = None,
    ) -> None:
        self.identity = identity
        self.revocation = revocation or RevocationChecker()
        self._session: aiohttp.ClientSession | None = None
        self.mls_ack_window = timedelta(seconds=mls_ack_seconds)
        self.await_mls = await_mls
        try:
            self.spis: str | None = spis_id(identity.seat)
        except FormatError:
            self.spis = (
                None  # a seat id without the six-digit number: no MLS can be addressed to us
            )
        self.endpoints = {k.lower(): v for k, v in endpoints.items()}
        self.country_c1 = country_c1
        self.timeout = timeout
        self.smp = smp

    async def endpoint_for(
        self, participant: str, document_type: str, process: str = BILLING_PROCESS
    ) -> tuple[Endpoint, bytes | None]:
        found = self.endpoints.get(participant.lower())
        if found is not None:
            return found, None
        if self.smp is None:
            raise RecipientNotRegistered(
                f"{participant} has no known Peppol endpoint (no SMP lookup configured)"
            )
        return await self.smp.endpoint(participant, document_type, process)

    async def check_certificate(self, certificate: x509.Certificate) -> None:
        """Chain, validity and revocation of a receiving access point's certificate, before sending."""
        try:
            chain = verify_chain(certificate, self.identity.trust)
        except SecurityError as exc:
            raise EndpointCertificateInvalid(
                f"the receiving access point's certificate is not acceptable: {exc}"
            ) from exc
        verdict = await self.revocation.check(certificate, chain[1])
        if verdict.status is Status.REVOKED:
            raise EndpointCertificateInvalid(
                f"the receiving access point's certificate is revoked ({verdict.source}: {verdict.detail})"
            )
        if verdict.status is Status.UNKNOWN:
            raise LookupUnavailable(
                f"the revocation status of the receiving access point's certificate is unknown: {verdict.detail}"
            )

    async def deliverability(self, participant: str) -> dict[str, Any]:
        """Before anything is sent: per document type, is the participant reachable over Peppol,
        through which access point, and is that access point's certificate acceptable."""
        answer: dict[str, Any] = {}
        for name, document_type in (
            ("invoice", INVOICE_DOCUMENT_TYPE),
            ("credit_note", CREDIT_NOTE_DOCUMENT_TYPE),
        ):
            try:
                endpoint, _ = await self.endpoint_for(participant, document_type)
            except RecipientNotRegistered as exc:
                answer[name] = {"reachable": False, "reason": str(exc)}
                continue
            except LookupUnavailable as exc:
                answer[name] = {"reachable": None, "reason": f"unknown right now: {exc}"}
                continue
            try:
                await self.check_certificate(endpoint.certificate)
                problem = None
            except (EndpointCertificateInvalid, LookupUnavailable) as exc:
                problem = str(exc)
            answer[name] = {
                "reachable": problem is None,
                "access_point": endpoint.seat,
                "url": endpoint.url,
                "certificate": {
                    "subject": endpoint.certificate.subject.rfc4514_string(),
                    "not_after": endpoint.certificate.not_valid_after_utc.isoformat(),
                    "valid": problem is None,
                    "problem": problem,
                },
                **(
                    {"reason": f"the access point's certificate is not acceptable: {problem}"}
                    if problem
                    else {}
                ),
            }
        return answer

    async def send(self, envelope: Envelope) -> Receipt:
        receiver, sender = envelope.recipient.peppol_id, envelope.sender.peppol_id
        if not receiver:
            raise RecipientNotRegistered("the recipient has no Peppol participant id")
        if not sender:
            raise LocalConfigurationError("the sending tenant has no Peppol participant id")
        try:
            receiver, sender = str(ParticipantId.parse(receiver)), str(ParticipantId.parse(sender))
        except FormatError as exc:
            raise RecipientNotRegistered(str(exc)) from exc
        document_type = (
            CREDIT_NOTE_DOCUMENT_TYPE
            if envelope.document_type == "credit_note"
            else INVOICE_DOCUMENT_TYPE
        )
        scopes = {"MLS_TYPE": "ALWAYS_SEND" if self.await_mls else "FAILURE_ONLY"}
        if self.spis:
            scopes["MLS_TO"] = self.spis
        receipt = await self.transmit(
            envelope.document("ubl").content,
            sender=sender,
            receiver=receiver,
            document_type=document_type,
            process=BILLING_PROCESS,
            message_id=envelope.message_id,
            country_c1=envelope.meta.get("country_c1") or self.country_c1,
            scopes=scopes,
        )
        # With MLS requested, the receipt proves arrival at C3; the MLS confirms the hand-over to the buyer.
        return replace(receipt, pending_confirmation=self.await_mls)

    async def transmit(
        self,
        document: bytes,
        *,
        sender: str,
        receiver: str,
        document_type: str,
        process: str,
        message_id: str,
        country_c1: str,
        scopes: Mapping[str, str] | None = None,
    ) -> Receipt:
        """One Peppol transmission: discover, check the endpoint, wrap, sign, encrypt, send, verify the receipt."""
        endpoint, smp_answer = await self.endpoint_for(receiver, document_type, process)
        await self.check_certificate(endpoint.certificate)
        # The SBDH instance id is the UUID of the stable message id: the same on every attempt, and
        # what an MLS refers back to.
        instance_id = instance_id_of(message_id)
        sbdh = wrap(
            document,
            sender=sender,
            receiver=receiver,
            document_type_id=document_type,
            process_id=process,
            country_c1=country_c1,
            instance_id=instance_id,
            extra_scopes=scopes,
        )
        outgoing = as4_message.build(
            sbdh,
            identity=self.identity,
            receiver_certificate=endpoint.certificate,
            receiver_seat=endpoint.seat,
            message_id=message_id,
            sender=sender,
            receiver=receiver,
            document_type=document_type,
            process=process,
        )
        content_type, answer = await self._post(endpoint.url, outgoing)
        evidence = [
            Evidence(
                kind="as4-answer",
                media_type=content_type or "application/octet-stream",
                content=answer,
            )
        ]
        if smp_answer:
            evidence.append(
                Evidence(kind="smp-answer", media_type="application/xml", content=smp_answer)
            )
        try:
            signal = as4_signals.read_answer(
                content_type, answer, self.identity, outgoing.references, message_id
            )
        except SecurityError as exc:
            raise SignalMissing(
                f"the answer's signature cannot be trusted: {exc}", evidence=tuple(evidence)
            ) from exc
        except FormatError as exc:
            raise SignalMissing(
                f"the answer is not a usable ebMS signal: {exc}", evidence=tuple(evidence)
            ) from exc
        if signal.kind in ("receipt", "duplicate"):
            return Receipt(
                channel=self.name,
                remote_id=message_id,
                received_at=datetime.now(UTC),
                evidence=tuple(evidence),
                report={
                    "receiver_ap": endpoint.seat,
                    "signal": signal.kind,
                    "instance_id": instance_id,
                },
            )
        detail = "; ".join(f"{code} {short}: {text}" for code, short, text in signal.errors)
        permanent = any(
            code in as4_signals.PERMANENT_ERRORS or "NOT_SERVICED" in text
            for code, _, text in signal.errors
        )
        error = RemoteRejected if permanent else RemoteUnavailable
        raise error(
            f"the receiving access point answered with an ebMS error: {detail}",
            evidence=tuple(evidence),
        )

    async def _post(self, url: str, outgoing: as4_message.Outgoing) -> tuple[str, bytes]:
        headers = {
            "Content-Type": outgoing.content_type,
            "MIME-Version": "1.0",
            "User-Agent": "fakturaport-as4",
        }
        try:
            async with self._http().post(url, data=outgoing.body, headers=headers) as response:
                body = await response.read()
                if response.status >= 500:
                    raise RemoteUnavailable(
                        f"the receiving access point answered HTTP {response.status}",
                        evidence=(
                            Evidence(
                                kind="as4-answer", media_type="text/plain", content=body[:4000]
                            ),
                        ),
                    )
                if response.status >= 400:
                    raise RemoteRejected(
                        f"the receiving access point refused the request: HTTP {response.status}"
                    )
                return response.headers.get("Content-Type", ""), body
        except TimeoutError as exc:
            raise DeliveryTimeout(f"no answer from {url} within {self.timeout:g} s") from exc
        except aiohttp.ClientError as exc:
            raise RemoteUnavailable(f"{url} unreachable: {exc}") from exc

    def _http(self) -> aiohttp.ClientSession:
        # One session per channel: connections to an access point are kept alive between messages.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self.smp is not None:
            await self.smp.aclose()
        await self.revocation.aclose()


def build(config: Mapping[str, Any], *, settings: Any = None) -> PeppolChannel:
    identity = load_identity(
        key_file=config.get("key_file"),
        cert_file=config.get("cert_file"),
        pkcs12_file=config.get("pkcs12_file"),
        pkcs12_password=config.get("pkcs12_password"),
        truststore=config.get("truststore", ""),
    )
    endpoints = {}
    for participant, raw in (config.get("endpoints") or {}).items():
        try:
            certificate = x509.load_pem_x509_certificate(Path(raw["certificate"]).read_bytes())
        except (OSError, KeyError, ValueError) as exc:
            raise LocalConfigurationError(
                f"channels.peppol.endpoints.{participant}: {exc}"
            ) from exc
        endpoints[participant] = Endpoint(raw["url"], certificate)
    smp = None
    if config.get("sml_zone"):
        from .smp import SmpClient

        smp = SmpClient(
            zone=config["sml_zone"],
            nameserver=config.get("dns_server"),
            smp_truststore=config.get("smp_truststore"),
            cache_seconds=float(config.get("smp_cache_seconds", 300)),
            timeout=float(config.get("lookup_timeout", 10)),
        )
    return PeppolChannel(
        identity,
        endpoints,
        country_c1=config.get("country_c1", "SE"),
        timeout=float(config.get("timeout", 60)),
        smp=smp,
        await_mls=bool(config.get("await_mls", False)),
        mls_ack_seconds=float(config.get("mls_ack_seconds", 3600)),
        revocation=RevocationChecker(
            policy=config.get("revocation", "prefer"),
            cache_seconds=float(config.get("revocation_cache_seconds", 3600)),
        ),
    )


def instance_id_of(message_id: str) -> str:
    """The SBDH InstanceIdentifier of a transmission: the UUID part of its AS4 MessageId."""
    return message_id.split("@", 1)[0]
