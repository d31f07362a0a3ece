"""Any supported syntax in, any supported syntax out, through the one model.

``read_any`` detects the syntax from the content (a media type only breaks ties): canonical
JSON, UBL Invoice/CreditNote (bare or inside an SBDH envelope), CII, Svefaktura (bare or in an
SFTI ObjectEnvelope) and Factur-X/ZUGFeRD PDFs. ``write`` renders a model in a target syntax.
Readers and writers are imported when first needed, so a syntax's dependencies load only for
those who use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import MalformedDocument, UnsupportedDocument
from .model import Invoice
from .reading import ReadResult

#: target name → (module, function). The function takes the model and returns bytes.
WRITERS = {
    "peppol": ("formats.peppol.ubl_write", "write"),
    "ubl": ("formats.peppol.ubl_write", "write"),
    "json": ("formats.jsoncodec", "dumps"),
    "svefaktura": ("formats.svefaktura", "write"),
    "cii": ("formats.cii", "write"),
    "pdf": ("formats.pdf", "render_pdf"),
}
#: targets whose writers can say what they had to leave out
REPORTING_WRITERS = {
    "svefaktura": ("formats.svefaktura", "write_with_report"),
    "cii": ("formats.cii", "write_with_report"),
}
MEDIA_TYPES = {
    "peppol": "application/xml",
    "ubl": "application/xml",
    "json": "application/json",
    "svefaktura": "application/xml",
    "cii": "application/xml",
    "pdf": "application/pdf",
}

_XML_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": (
        "formats.peppol.ubl_read",
        "read",
    ),
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": (
        "formats.peppol.ubl_read",
        "read",
    ),
    "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice": (
        "formats.cii",
        "read",
    ),
    "{urn:sfti:documents:BasicInvoice:1:0}Invoice": ("formats.svefaktura", "read"),
    "{urn:sfti:documents:ObjectEnvelope:1:0}ObjectEnvelope": ("formats.svefaktura", "read"),
}
_SBDH = "{http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}StandardBusinessDocument"


@dataclass(frozen=True, slots=True)
class Converted:
    """A converted document and the conversion report (what the source or target dropped)."""

    content: bytes
    media_type: str
    dropped: tuple[str, ...] = field(default=())


def _load(module: str, name: str, what: str) -> Callable:
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise UnsupportedDocument(f"{what} is not available in this installation ({exc})") from exc


def detect(data: bytes) -> str:
    """``json``, ``pdf`` or ``xml`` from the first bytes."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:8]
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"<"):
        return "xml"
    raise UnsupportedDocument(
        "not JSON, XML or PDF: the document's first bytes match no supported syntax"
    )


def read_any(data: bytes, media_type: str | None = None) -> ReadResult:
    """Read a document of any supported syntax into the model."""
    if not data.strip():
        raise MalformedDocument("the document is empty")
    kind = detect(data)
    if kind == "json":
        from . import jsoncodec

        return jsoncodec.read(data)
    if kind == "pdf":
        return _load("formats.facturx", "read", "Factur-X/ZUGFeRD PDF intake")(data)
    from . import xmlsafe

    root = xmlsafe.parse(data)
    if root.tag == _SBDH:
        from .peppol.sbdh import unwrap

        return read_any(unwrap(data).payload)
    reader = _XML_ROOTS.get(root.tag)
    if reader is None:
        raise UnsupportedDocument(f"unsupported XML document: root element {root.tag}")
    module, name = reader
    return _load(module, name, f"reading {root.tag}")(data)


def write(invoice: Invoice, target: str) -> bytes:
    return convert_model(invoice, target).content


def convert_model(invoice: Invoice, target: str) -> Converted:
    if target not in WRITERS:
        raise UnsupportedDocument(
            f"unknown target {target!r}; choose one of {', '.join(sorted(WRITERS))}"
        )
    if target in REPORTING_WRITERS:
        written = _load(*REPORTING_WRITERS[target], f"writing {target}")(invoice)
        return Converted(written.content, MEDIA_TYPES[target], tuple(written.dropped))
    content = _load(*WRITERS[target], f"writing {target}")(invoice)
    return Converted(content, MEDIA_TYPES[target])


def convert(data: bytes, target: str) -> Converted:
    """Read ``data`` in whatever syntax it is and write it as ``target``, with the report."""
    source = read_any(data)
    result = convert_model(source.invoice, target)
    dropped = tuple(f"not read: {path}" for path in source.dropped) + result.dropped
    return Converted(result.content, result.media_type, dropped)
