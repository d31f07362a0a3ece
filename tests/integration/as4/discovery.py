"""A local SML (a DNS server answering U-NAPTR over UDP) and a local SMP (HTTP, signed service
metadata) for discovery tests: the real protocols on loopback, with a switch for each failure."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from aiohttp import web
from lxml import etree
from signxml import SignatureMethod, XMLSigner

from channels.peppol.smp import AS4_TRANSPORT, IDS, SMP, WSA, sml_name
from formats.peppol.identifiers import BILLING_PROCESS, ParticipantId

ZONE = "sml.fakturaport.test"


class LocalSml(asyncio.DatagramProtocol):
    """Answers NAPTR queries for registered participants; NXDOMAIN for everyone else."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.silent = False  #: drop every query (a DNS outage)
        self.queries = 0
        self.transport: asyncio.DatagramTransport | None = None

    def register(self, participant: str, smp_url: str) -> None:
        self.names[sml_name(participant, ZONE)] = smp_url

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.queries += 1
        if self.silent:
            return
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        url = self.names.get(name)
        if url is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.NAPTR:
            response.answer.append(
                dns.rrset.from_text(
                    question.name, 60, "IN", "NAPTR", f'100 10 "U" "Meta:SMP" "!^.*$!{url}!" .'
                )
            )
        self.transport.sendto(response.to_wire(), addr)

    @property
    def address(self) -> str:
        host, port = self.transport.get_extra_info("sockname")[:2]
        return f"{host}:{port}"


async def start_sml() -> LocalSml:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(LocalSml, local_addr=("127.0.0.1", 0))
    return protocol


@dataclass
class Service:
    document_type: str
    url: str
    certificate_pem: bytes
    process: str = BILLING_PROCESS
    activation: datetime | None = None
    expiration: datetime | None = None


@dataclass
class LocalSmp:
    """Serves ServiceGroup and SignedServiceMetadata, signed with ``key_pem``/``cert_pem``."""

    key_pem: bytes
    cert_pem: bytes
    services: dict[str, list[Service]] = field(default_factory=dict)
    tamper: bool = False  #: change the endpoint URL after signing
    requests: int = 0
    base: str = ""

    def add(self, participant: str, service: Service) -> None:
        self.services.setdefault(str(ParticipantId.parse(participant)).lower(), []).append(service)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{participant}", self.service_group)
        app.router.add_get("/{participant}/services/{document_type}", self.metadata)
        return app

    def _services(self, request: web.Request) -> tuple[str, list[Service]]:
        self.requests += 1
        participant = request.match_info["participant"].split("::", 1)[-1].lower()
        if participant not in self.services:
            raise web.HTTPNotFound()
        return participant, self.services[participant]

    async def service_group(self, request: web.Request) -> web.Response:
        participant, services = self._services(request)
        root = etree.Element(f"{{{SMP}}}ServiceGroup", nsmap={None: SMP, "ids": IDS})
        etree.SubElement(
            root, f"{{{IDS}}}ParticipantIdentifier", scheme="iso6523-actorid-upis"
        ).text = participant
        refs = etree.SubElement(root, f"{{{SMP}}}ServiceMetadataReferenceCollection")
        pid = quote(f"iso6523-actorid-upis::{participant}", safe="")
        for doc in sorted({s.document_type for s in services}):
            etree.SubElement(
                refs,
                f"{{{SMP}}}ServiceMetadataReference",
                href=f"{self.base}/{pid}/services/{quote('busdox-docid-qns::' + doc, safe='')}",
            )
        return web.Response(
            body=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
            content_type="application/xml",
        )

    async def metadata(self, request: web.Request) -> web.Response:
        participant, services = self._services(request)
        document_type = request.match_info["document_type"].split("::", 1)[-1]
        matching = [s for s in services if s.document_type == document_type]
        if not matching:
            raise web.HTTPNotFound()
        signed = etree.Element(
            f"{{{SMP}}}SignedServiceMetadata", nsmap={None: SMP, "ids": IDS, "wsa": WSA}
        )
        info = etree.SubElement(
            etree.SubElement(signed, f"{{{SMP}}}ServiceMetadata"), f"{{{SMP}}}ServiceInformation"
        )
        etree.SubElement(
            info, f"{{{IDS}}}ParticipantIdentifier", scheme="iso6523-actorid-upis"
        ).text = participant
        etree.SubElement(
            info, f"{{{IDS}}}DocumentIdentifier", scheme="busdox-docid-qns"
        ).text = document_type
        processes = etree.SubElement(info, f"{{{SMP}}}ProcessList")
        for service in matching:
            process = etree.SubElement(processes, f"{{{SMP}}}Process")
            etree.SubElement(
                process, f"{{{IDS}}}ProcessIdentifier", scheme="cenbii-procid-ubl"
            ).text = service.process
            endpoint = etree.SubElement(
                etree.SubElement(process, f"{{{SMP}}}ServiceEndpointList"),
                f"{{{SMP}}}Endpoint",
                transportProfile=AS4_TRANSPORT,
            )
            etree.SubElement(
                etree.SubElement(endpoint, f"{{{WSA}}}EndpointReference"), f"{{{WSA}}}Address"
            ).text = service.url
            etree.SubElement(endpoint, f"{{{SMP}}}RequireBusinessLevelSignature").text = "false"
            if service.activation:
                etree.SubElement(
                    endpoint, f"{{{SMP}}}ServiceActivationDate"
                ).text = service.activation.isoformat()
            if service.expiration:
                etree.SubElement(
                    endpoint, f"{{{SMP}}}ServiceExpirationDate"
                ).text = service.expiration.isoformat()
            body = b"".join(
                line for line in service.certificate_pem.splitlines() if b"-----" not in line
            )
            etree.SubElement(endpoint, f"{{{SMP}}}Certificate").text = body.decode()
            etree.SubElement(
                endpoint, f"{{{SMP}}}ServiceDescription"
            ).text = "Fakturaport test access point"
            etree.SubElement(
                endpoint, f"{{{SMP}}}TechnicalContactUrl"
            ).text = "mailto:ap@fakturaport.test"
        signer = XMLSigner(
            signature_algorithm=SignatureMethod.RSA_SHA256,
            c14n_algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        )
        result = signer.sign(signed, key=self.key_pem, cert=self.cert_pem.decode())
        xml = etree.tostring(result, xml_declaration=True, encoding="UTF-8")
        if self.tamper:
            xml = xml.replace(matching[0].url.encode(), b"http://127.0.0.1:9/as4")
        return web.Response(body=xml, content_type="application/xml")


async def start_smp(smp: LocalSmp) -> web.AppRunner:
    runner = web.AppRunner(smp.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    smp.base = f"http://127.0.0.1:{port}"
    return runner


def pem(path: Path) -> bytes:
    return path.read_bytes()
