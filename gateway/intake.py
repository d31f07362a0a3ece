"""Intake: request bytes → model, with errors that name the place in what the caller sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from formats.convert import read_any
from formats.errors import FormatError, UnsafeXml
from formats.reading import ReadResult

#: Media types intake takes; the syntax itself is detected from the content.
ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "text/xml",
        "application/pdf",
        "application/octet-stream",
    }
)


@dataclass(frozen=True, slots=True)
class Problem(Exception):
    """An RFC 9457 problem: the HTTP status and what to tell the caller."""

    status: int
    title: str
    detail: str
    kind: str = "about:blank"
    errors: tuple[dict, ...] = field(default=())

    def body(self) -> dict:
        body = {
            "type": self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = list(self.errors)
        return body


def media_type_allowed(content_type: str | None) -> bool:
    base = (content_type or "").split(";")[0].strip().lower()
    return base in ACCEPTED_MEDIA_TYPES or base.endswith("+json") or base.endswith("+xml")


def parse(body: bytes, content_type: str | None) -> ReadResult:
    if not media_type_allowed(content_type):
        raise Problem(
            415,
            "Unsupported media type",
            f"{content_type or 'no Content-Type'} is not accepted; send application/json, application/xml or application/pdf",
            kind="/problems/unsupported-media-type",
        )
    try:
        return read_any(body)
    except UnsafeXml as exc:
        raise Problem(
            422, "Unsafe XML refused", str(exc), kind="/problems/unsafe-xml", errors=(_where(exc),)
        ) from exc
    except FormatError as exc:
        raise Problem(
            422,
            "The document cannot be read",
            str(exc),
            kind="/problems/malformed",
            errors=(_where(exc),),
        ) from exc


def _where(exc: FormatError) -> dict:
    location = exc.location
    pointer = location if location and location.startswith("/") and ":" not in location else None
    return {"message": exc.message, "pointer": pointer, "location": location}
