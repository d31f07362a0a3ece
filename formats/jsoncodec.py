"""The canonical JSON invoice: the model's dataclasses with their snake_case field names.

Derived from the dataclass fields and their type hints (no per-field code), so the JSON, the
model and the JSON Schema (``formats.jsonschema``) cannot drift apart. Amounts are written as
strings and read from strings or JSON numbers straight into Decimal (never through float);
dates are ISO 8601; binary attachments are base64. Empty values are left out on output.
Every error names the JSON pointer of the offending value.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from .errors import MalformedDocument
from .json_decoders import Invalid, object_decoder
from .model import Invoice
from .reading import ReadResult

#: Cap on a JSON invoice; one with embedded attachments stays far below it.
MAX_JSON_BYTES = 20 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class FieldKind:
    """How one field is encoded: its base type, whether it repeats, and the nested class."""

    name: str
    base: Any  #: str, Decimal, date, bool, bytes, an Enum subclass or a dataclass
    repeated: bool


@cache
def field_kinds(cls: type) -> tuple[FieldKind, ...]:
    hints = typing.get_type_hints(cls)
    kinds = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        repeated = typing.get_origin(hint) is tuple
        if repeated:
            hint = typing.get_args(hint)[0]
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        kinds.append(FieldKind(f.name, hint, repeated))
    return tuple(kinds)


# --- model → JSON -------------------------------------------------------------------------------------


def to_dict(value: Any) -> dict[str, Any]:
    """The canonical JSON object of a model dataclass (an Invoice or any part of one)."""
    out: dict[str, Any] = {}
    for kind in field_kinds(type(value)):
        item = getattr(value, kind.name)
        if item is None or (kind.repeated and not item):
            continue
        out[kind.name] = (
            [_encode(kind.base, v) for v in item] if kind.repeated else _encode(kind.base, item)
        )
    return out


def _encode(base: Any, value: Any) -> Any:
    if dataclasses.is_dataclass(base):
        return to_dict(value)
    if base is Decimal:
        return format(value, "f")
    if base is date:
        return value.isoformat()
    if base is bytes:
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Enum):
        return value.value
    return value


def dumps(invoice: Invoice, *, indent: int | None = 2) -> bytes:
    return json.dumps(to_dict(invoice), ensure_ascii=False, indent=indent).encode("utf-8")


# --- JSON → model -------------------------------------------------------------------------------------


def from_dict(obj: Any, cls: type = Invoice, pointer: str = "") -> Any:
    """Build a model dataclass from parsed JSON; MalformedDocument names the JSON pointer."""
    try:
        return object_decoder(cls)(obj)
    except Invalid as exc:
        where = pointer + "".join(f"/{_escape(step)}" for step in reversed(exc.path))
        raise MalformedDocument(exc.message, location=where or "/") from None


def loads(data: bytes | str) -> Invoice:
    return read(data.encode("utf-8") if isinstance(data, str) else data).invoice


def read(data: bytes) -> ReadResult:
    """Read a canonical JSON invoice (the pointer of a value is already its location)."""
    if len(data) > MAX_JSON_BYTES:
        raise MalformedDocument(
            f"JSON document is {len(data)} bytes; the limit is {MAX_JSON_BYTES}"
        )
    try:
        obj = json.loads(data, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise MalformedDocument(
            f"not valid JSON: {exc.msg}", location=f"line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise MalformedDocument("JSON must be UTF-8 encoded") from None
    except RecursionError:
        raise MalformedDocument("JSON nests too deeply") from None
    return ReadResult(invoice=from_dict(obj), syntax="json")


def _no_constant(name: str) -> Any:
    raise MalformedDocument(f"{name} is not a number JSON allows")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
