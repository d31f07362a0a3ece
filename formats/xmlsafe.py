"""The one hardened XML parser used for every XML input.

No DTD is loaded or allowed, no entity is expanded, nothing is fetched from the network, and the
input is capped in size before parsing. A document that declares a DOCTYPE at all is refused:
no invoice syntax we read needs one, and refusing outright closes XXE and entity-bomb attacks
(billion laughs, quadratic blow-up) without depending on parser limits.
"""

from __future__ import annotations

from lxml import etree

from .errors import MalformedDocument, UnsafeXml

#: Default cap on an XML document's size; callers with a larger legitimate need pass their own.
MAX_XML_BYTES = 20 * 1024 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
    remove_pis=False,
    collect_ids=False,
)


def parse(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse ``data`` into an element tree root, refusing anything unsafe.

    Raises UnsafeXml for a DOCTYPE/entity or oversized input, MalformedDocument otherwise.
    """
    if len(data) > max_bytes:
        raise UnsafeXml(f"XML document is {len(data)} bytes; the limit is {max_bytes}")
    head = data[:4096]
    if b"<!DOCTYPE" in head:
        raise UnsafeXml("XML with a DOCTYPE or entity declarations is not accepted")
    try:
        # A fresh parser per call: lxml parsers are not thread-safe and keep error state.
        root = etree.fromstring(data, parser=_PARSER.copy())
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise MalformedDocument(
            f"XML is not well-formed: {exc.msg}", location=f"line {line}" if line else None
        ) from exc
    if root is None:
        raise MalformedDocument("XML document is empty")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXml("XML with a DOCTYPE or entity declarations is not accepted")
    return root
