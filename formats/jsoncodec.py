"""The canonical JSON invoice: the model's dataclasses with their snake_case field names.

Derived from the dataclass fields and their type hints (no per-field code), so the JSON, the
model and the JSON Schema (``formats.jsonschema``) cannot drift apart. Amounts are written as
strings and read from strings or JSON numbers straight into Decimal (never through float);
dates are ISO 8601; binary attachments are base64. Empty values are left out on output.
Every error names the JSON pointer of the offending value.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import types
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any

from .errors import MalformedDocument
from .model import Invoice
from .reading import ReadResult
from .xmlwrite import NOT_XML

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
        return _object(obj, cls)
    except _Invalid as exc:
        where = pointer + "".join(f"/{_escape(step)}" for step in reversed(exc.path))
        raise MalformedDocument(exc.message, location=where or "/") from None


class _Invalid(Exception):
    """A value that does not fit; its path is collected on the way out (innermost step first),
    so a valid document never pays for building pointers."""

    def __init__(self, message: str, *path: str) -> None:
        self.message = message
        self.path = list(path)


Decoder = Callable[[Any], Any]


def _object(obj: Any, cls: type) -> Any:
    if not isinstance(obj, dict):
        raise _Invalid(f"expected a JSON object, got {_json_type(obj)}")
    decoders = _decoders(cls)
    values: dict[str, Any] = {}
    for key, raw in obj.items():
        decode = decoders.get(key)
        if decode is None:
            raise _Invalid(f"unknown field {key!r} in {cls.__name__}", key)
        if raw is None:
            continue
        try:
            values[key] = decode(raw)
        except _Invalid as exc:
            exc.path.append(key)
            raise
    return cls(**values)


@cache
def _decoders(cls: type) -> dict[str, Decoder]:
    """Per field of ``cls``, the function that decodes its JSON value (built once per class)."""
    return {
        kind.name: _repeated(kind.name, _decoder(kind.base))
        if kind.repeated
        else _decoder(kind.base)
        for kind in field_kinds(cls)
    }


def _repeated(name: str, decode: Decoder) -> Decoder:
    def repeated(raw: Any) -> tuple[Any, ...]:
        if not isinstance(raw, list):
            raise _Invalid(f"{name} must be a JSON array, got {_json_type(raw)}")
        out = []
        for index, item in enumerate(raw):
            try:
                out.append(decode(item))
            except _Invalid as exc:
                exc.path.append(str(index))
                raise
        return tuple(out)

    return repeated


def _decoder(base: Any) -> Decoder:
    if dataclasses.is_dataclass(base):
        return functools.partial(_object, cls=base)
    if base is Decimal:
        return _decimal
    if base is date:
        return _date
    if base is bool:
        return _bool
    if base is bytes:
        return _bytes
    if isinstance(base, type) and issubclass(base, Enum):
        return functools.partial(_enum, base)
    return _text


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a string, got {_json_type(raw)}")
    # Printable text holds none of them (controls, surrogates and noncharacters are not
    # printable), and asking is cheaper than the search; tabs and line breaks take the search.
    bad = None if raw.isprintable() else NOT_XML.search(raw)
    if bad is not None:  # every document we write is XML: refuse what it cannot carry, here
        raise _Invalid(
            f"contains U+{ord(bad.group()):04X}, a control character no invoice format carries"
        )
    return raw


def _date(raw: Any) -> date:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a date string YYYY-MM-DD, got {_json_type(raw)}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _Invalid(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise _Invalid(f"expected true or false, got {_json_type(raw)}")
    return raw


def _bytes(raw: Any) -> bytes:
    if not isinstance(raw, str):
        raise _Invalid("expected base64 text")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid("not valid base64") from None


def _enum(base: type[Enum], raw: Any) -> Enum:
    try:
        return base(raw)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in base)
        raise _Invalid(f"{raw!r} is not one of {allowed}") from None


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise _Invalid(f"expected a decimal number or string, got {_json_type(raw)}")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise _Invalid(f"{raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise _Invalid(f"{raw!r} is not a finite number")
    return value


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


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
