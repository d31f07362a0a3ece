"""What every reader returns: the model plus where each value came from in the input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Invoice


@dataclass(frozen=True, slots=True)
class ReadResult:
    """An invoice read from some syntax.

    ``locations`` maps a JSON pointer into the model (``/lines/0/item/name``) to an XPath into
    the input (``/Invoice/cac:InvoiceLine[1]/cac:Item/cbc:Name``); it is empty for JSON input,
    where the pointer already is the location. ``dropped`` is the conversion report: what the
    source carried that the model, or the target, could not keep.
    """

    invoice: Invoice
    syntax: str  #: "json", "ubl", "cii", "svefaktura", "facturx"
    locations: Mapping[str, str] = field(default_factory=dict)
    root: Any = None  #: the parsed lxml root for XML input (syntax-level rules read it)
    dropped: tuple[str, ...] = ()

    def locate(self, pointer: str) -> str | None:
        """The input location of a model pointer, falling back to its nearest located parent."""
        if not self.locations:
            return pointer if self.syntax == "json" else None
        while True:
            found = self.locations.get(pointer)
            if found is not None:
                return found
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]
