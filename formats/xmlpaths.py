"""Reading XML into the model while remembering where each value came from.

Readers of every XML syntax record, for each model field they fill, the XPath of the element it
came from (keyed by the field's JSON pointer), so a rule finding on the model can name the place
in the caller's document. Values are trimmed; an unparsable number or date names its XPath.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from .errors import MalformedDocument


class LocatingReader:
    """Finds values under a node by a namespaced path and records pointer → XPath."""

    def __init__(self, root: etree._Element, namespaces: Mapping[str, str]) -> None:
        self.tree = root.getroottree()
        self.ns = dict(namespaces)
        self.locations: dict[str, str] = {}

    def node(self, parent: etree._Element | None, path: str) -> etree._Element | None:
        return None if parent is None else parent.find(path, self.ns)

    def nodes(self, parent: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if parent is None else parent.findall(path, self.ns)

    def text(self, parent: etree._Element | None, path: str, pointer: str) -> str | None:
        found = self.node(parent, path) if path else parent
        if found is None or found.text is None or not found.text.strip():
            return None
        self.locations[pointer] = self.tree.getpath(found)
        return found.text.strip()

    def attr(self, parent: etree._Element | None, path: str, name: str, pointer: str) -> str | None:
        found = self.node(parent, path) if path else parent
        value = None if found is None else found.get(name)
        if value is None or not value.strip():
            return None
        self.locations[pointer] = f"{self.tree.getpath(found)}/@{name}"
        return value.strip()

    def decimal(self, parent: etree._Element | None, path: str, pointer: str) -> Decimal | None:
        value = self.text(parent, path, pointer)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise MalformedDocument(f"{value!r} is not a decimal number", location=self.locations[pointer])
        return number

    def date(
        self, parent: etree._Element | None, path: str, pointer: str, *, compact: bool = False
    ) -> date | None:
        """An ISO date (``2026-11-23``, a dateTime's date part) or, ``compact``, ``20261123``."""
        value = self.text(parent, path, pointer)
        if value is None:
            return None
        try:
            if compact:
                return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
            return date.fromisoformat(value[:10])
        except ValueError:
            expected = "YYYYMMDD" if compact else "YYYY-MM-DD"
            raise MalformedDocument(
                f"{value!r} is not a date ({expected})", location=self.locations[pointer]
            ) from None
