"""A small, fast XML builder for documents written in one pass from the model.

Building an lxml tree costs a C-API round trip per element and attribute; an invoice has
hundreds of leaf elements. Here a leaf becomes its finished markup at once, an aggregate is a
list of children, and the document is joined once at the end: the output is the same XML.
Text is escaped as lxml escapes it; characters XML cannot carry are refused by name.
"""

from __future__ import annotations

import re

from .errors import FormatError

#: Characters outside the XML 1.0 Char production.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: The same characters in UTF-8: the C0 controls XML refuses (one byte each), and U+FFFE and
#: U+FFFF. Surrogates cannot be encoded at all.
_CONTROL_BYTES = bytes(c for c in range(0x20) if c not in b"\t\n\r")
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


class Element:
    """An element whose children (markup strings or elements) are written in order."""

    __slots__ = ("attributes", "children", "tag")

    def __init__(self, tag: str, attributes: str = "") -> None:
        self.tag = tag
        self.attributes = attributes  #: already rendered, with a leading space
        self.children: list[str | Element] = []

    def element(self, tag: str) -> Element:
        child = Element(tag)
        self.children.append(child)
        return child

    def leaf(self, tag: str, text: str, attributes: dict[str, str | None] | None = None) -> None:
        rendered = ""
        if attributes:
            rendered = "".join(
                f' {name}="{escape_attribute(value)}"'
                for name, value in attributes.items()
                if value
            )
        self.children.append(f"<{tag}{rendered}>{escape_text(text)}</{tag}>")

    def render(self, out: list[str]) -> None:
        if not self.children:
            out.append(f"<{self.tag}{self.attributes}/>")
            return
        out.append(f"<{self.tag}{self.attributes}>")
        for child in self.children:
            if type(child) is str:
                out.append(child)
            else:
                child.render(out)
        out.append(f"</{self.tag}>")


def document(root: Element) -> bytes:
    """UTF-8 bytes with an XML declaration."""
    out = ["<?xml version='1.0' encoding='UTF-8'?>\n"]
    root.render(out)
    text = "".join(out)
    # Once over the document, on the encoded bytes: cheaper than a search per value, and than a
    # regular expression's character class tested at every character. The search below only
    # names the character once one is known to be there.
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = b""
    bad = NOT_XML.search(text) if not data or not _carries(data) else None
    if bad is not None:
        where = _enclosing_tag(text, bad.start())
        raise FormatError(
            f"{where} contains U+{ord(bad.group()):04X}, a character XML cannot carry",
            location=where,
        )
    return data


def _carries(data: bytes) -> bool:
    """No character outside XML's Char production in these UTF-8 bytes."""
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return False
    return not any(nonchar in data for nonchar in _NONCHARACTERS)


def _enclosing_tag(text: str, position: int) -> str:
    start = text.rfind("<", 0, position)
    return text[start + 1 :].split(">", 1)[0].split(" ", 1)[0] if start >= 0 else "document"


def escape_text(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def escape_attribute(value: str) -> str:
    value = escape_text(value).replace('"', "&quot;")
    if "\n" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\t", "&#9;")
    return value
