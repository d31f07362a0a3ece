"""Errors raised while reading or writing documents; each names where in the input it happened.

FormatError                 base: the input cannot be turned into the model
├── UnsafeXml               a DTD, an entity, or a document over the size cap
├── MalformedDocument       not well-formed XML or JSON, or a value of the wrong type
└── UnsupportedDocument     well-formed, but not a syntax we read (unknown root element)
"""

from __future__ import annotations


class FormatError(ValueError):
    """The document cannot be read."""

    def __init__(self, message: str | None = None, *, location: str | None = None) -> None:
        super().__init__(message or self.__doc__)
        self.message = message or (self.__doc__ or "").strip()
        #: a JSON pointer (JSON input) or an XPath/line reference (XML input)
        self.location = location

    def __str__(self) -> str:
        return f"{self.message} (at {self.location})" if self.location else self.message


class UnsafeXml(FormatError):
    """The XML uses a feature that is refused for safety (DTD, entities) or is too large."""


class MalformedDocument(FormatError):
    """The document is not well-formed or has a value of the wrong type."""


class UnsupportedDocument(FormatError):
    """The document is not a syntax Fakturaport reads."""
