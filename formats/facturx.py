"""Factur-X / ZUGFeRD (and PDF/A-3 invoices in general): the machine-readable XML inside a PDF.

The PDF is only a carrier: the embedded file (``factur-x.xml``, ``zugferd-invoice.xml``,
``xrechnung.xml``, or our own ``invoice.xml`` with Peppol UBL) is read by the reader of its own
syntax, so the result is the same model with locations into that XML. The PDF is parsed with
limits: a size cap, a cap on the embedded file's size, and no external references followed.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace

from formats.errors import MalformedDocument, UnsupportedDocument
from formats.reading import ReadResult

#: Cap on the PDF and on the XML inside it; an invoice PDF is far below either.
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_XML_BYTES = 10 * 1024 * 1024

#: Embedded file names by preference: Factur-X, ZUGFeRD 1 and 2, XRechnung, then any XML.
PREFERRED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "invoice.xml")

log = logging.getLogger(__name__)


def embedded_xml(data: bytes) -> tuple[str, bytes]:
    """The name and bytes of the invoice XML embedded in a PDF."""
    if len(data) > MAX_PDF_BYTES:
        raise MalformedDocument(f"PDF is {len(data)} bytes; the limit is {MAX_PDF_BYTES}")
    if not data.lstrip()[:5] == b"%PDF-":
        raise UnsupportedDocument("not a PDF document")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs recoverable structure problems as warnings; they are not ours to report.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        attachments = PdfReader(io.BytesIO(data), strict=False).attachments
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise MalformedDocument(f"PDF cannot be read: {exc}") from exc
    names = {name.lower(): name for name in attachments}
    chosen = next((names[n] for n in PREFERRED_NAMES if n in names), None)
    if chosen is None:
        chosen = next((name for name in attachments if name.lower().endswith(".xml")), None)
    if chosen is None:
        raise UnsupportedDocument(
            "the PDF carries no invoice XML (no factur-x.xml, zugferd-invoice.xml, xrechnung.xml "
            "or other .xml attachment): a PDF alone is not machine-readable"
        )
    content = attachments[chosen][0]
    if len(content) > MAX_XML_BYTES:
        raise MalformedDocument(
            f"embedded {chosen} is {len(content)} bytes; the limit is {MAX_XML_BYTES}"
        )
    return chosen, content


def read(data: bytes) -> ReadResult:
    """Read the invoice inside a Factur-X/ZUGFeRD/XRechnung or PDF/A-3 UBL file."""
    name, xml = embedded_xml(data)
    inner = _read_xml(xml)
    log.debug("read embedded invoice", extra={"attachment": name, "syntax": inner.syntax})
    return replace(inner, syntax=f"facturx+{inner.syntax}")


def _read_xml(xml: bytes) -> ReadResult:
    head = xml[:2048]
    if b"CrossIndustryInvoice" in head:
        from formats.cii import read as read_cii

        return read_cii(xml)
    if b"urn:oasis:names:specification:ubl:schema:xsd:" in head:
        from formats.peppol.ubl_read import read as read_ubl

        return read_ubl(xml)
    raise UnsupportedDocument("the XML embedded in the PDF is neither CII nor UBL")
