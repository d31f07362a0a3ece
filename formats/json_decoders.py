"""Decoding the canonical JSON into the model: one function per model class, generated once.

A generic decoder looked up, for every key of every object, the decoder of its field, gathered
the values in a dict and called the class with them as keyword arguments; the frozen
dataclass's ``__init__`` then assigned every field through ``object.__setattr__``. Intake does
this for each invoice it takes (some twenty objects and a hundred values), so here each class
gets a decoder generated from its fields, as ``dataclasses`` generates ``__init__``: it reads
every field by name, checks a printable string inline, and fills the slots through their
descriptors. The result is the same object the constructor makes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import types
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any

from .xmlwrite import NOT_XML

Decoder = Callable[[Any], Any]


class Invalid(Exception):
    """A value that does not fit; its path is collected on the way out (innermost step first),
    so a valid document never pays for building pointers."""

    def __init__(self, message: str, *path: str) -> None:
        self.message = message
        self.path = list(path)


def json_type(value: Any) -> str:
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


# --- values ------------------------------------------------------------------------------------


def text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise Invalid(f"expected a string, got {json_type(raw)}")
    # Printable text holds none of them (controls, surrogates and noncharacters are not
    # printable), and asking is cheaper than the search; tabs and line breaks take the search.
    bad = None if raw.isprintable() else NOT_XML.search(raw)
    if bad is not None:  # every document we write is XML: refuse what it cannot carry, here
        raise Invalid(
            f"contains U+{ord(bad.group()):04X}, a control character no invoice format carries"
        )
    return raw


def decimal(raw: Any) -> Decimal:
    # JSON gives a str, an int or (parse_float) a Decimal; Decimal() itself ignores surrounding
    # whitespace. A bool is an int to Python, never an amount to us.
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise Invalid(f"expected a decimal number or string, got {json_type(raw)}")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(raw)
    except (InvalidOperation, ValueError):
        raise Invalid(f"{raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise Invalid(f"{raw!r} is not a finite number")
    return value


def iso_date(raw: Any) -> date:
    if not isinstance(raw, str):
        raise Invalid(f"expected a date string YYYY-MM-DD, got {json_type(raw)}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def boolean(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise Invalid(f"expected true or false, got {json_type(raw)}")
    return raw


def base64_bytes(raw: Any) -> bytes:
    if not isinstance(raw, str):
        raise Invalid("expected base64 text")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("not valid base64") from None


def enum_member(base: type[Enum]) -> Decoder:
    def member(raw: Any) -> Enum:
        try:
            return base(raw)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in base)
            raise Invalid(f"{raw!r} is not one of {allowed}") from None

    return member


def repeated(name: str, decode: Decoder) -> Decoder:
    def items(raw: Any) -> tuple[Any, ...]:
        if not isinstance(raw, list):
            raise Invalid(f"{name} must be a JSON array, got {json_type(raw)}")
        out = []
        for index, item in enumerate(raw):
            try:
                out.append(decode(item))
            except Invalid as exc:
                exc.path.append(str(index))
                raise
        return tuple(out)

    return items


# --- classes -----------------------------------------------------------------------------------


@cache
def object_decoder(cls: type) -> Decoder:
    """The decoder of a JSON object into ``cls`` (a model dataclass), generated once per class.
    The model has no cycles, so a class's nested classes are generated first."""
    from .jsoncodec import field_kinds  # the field table is jsoncodec's, shared with the schema

    kinds = field_kinds(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    scope: dict[str, Any] = {
        "_cls": cls,
        "_known": frozenset(fields),
        "_new": object.__new__,
        "_Invalid": Invalid,
        "_not_an_object": _not_an_object,
        "_unknown_field": _unknown_field,
        "_text": text,
    }
    # Filling the slots directly is only the constructor's equal while __init__ does nothing
    # else; a class with __post_init__ (or without slots) is built by its constructor.
    by_slot = not hasattr(cls, "__post_init__") and all(
        isinstance(cls.__dict__.get(name), types.MemberDescriptorType) for name in fields
    )
    body = [
        "def decode(obj):",
        "    if obj.__class__ is not dict:",
        "        raise _not_an_object(obj)",
        "    if not obj.keys() <= _known:",
        "        raise _unknown_field(obj, _cls)",
        "    key = None",
        "    try:",
    ]
    for index, kind in enumerate(kinds):
        value = f"v{index}"
        body.append(f"        key = {kind.name!r}")
        body.append(f"        {value} = obj.get({kind.name!r})")
        default = _default_code(fields[kind.name], index, scope)
        if default is None:
            body.append(f"        if {value} is None:\n            pass")
        else:
            body.append(f"        if {value} is None:\n            {value} = {default}")
        if kind.base is str and not kind.repeated:
            body.append(f"        elif not ({value}.__class__ is str and {value}.isprintable()):")
            body.append(f"            {value} = _text({value})")
        else:
            scope[f"_decode{index}"] = _value_decoder(kind)
            body.append(f"        else:\n            {value} = _decode{index}({value})")
    body.append("    except _Invalid as exc:")
    body.append("        exc.path.append(key)")
    body.append("        raise")
    if by_slot:
        body.append("    self = _new(_cls)")
        for index, kind in enumerate(kinds):
            scope[f"_set{index}"] = cls.__dict__[kind.name].__set__
            body.append(f"    _set{index}(self, v{index})")
        body.append("    return self")
    else:
        arguments = ", ".join(f"{kind.name}=v{index}" for index, kind in enumerate(kinds))
        body.append(f"    return _cls({arguments})")
    exec("\n".join(body), scope)  # noqa: S102 - code generated from the model's own fields
    return scope["decode"]


def _value_decoder(kind: Any) -> Decoder:
    base = kind.base
    if dataclasses.is_dataclass(base):
        one = object_decoder(base)
    elif base is Decimal:
        one = decimal
    elif base is date:
        one = iso_date
    elif base is bool:
        one = boolean
    elif base is bytes:
        one = base64_bytes
    elif isinstance(base, type) and issubclass(base, Enum):
        one = enum_member(base)
    else:
        one = text
    return repeated(kind.name, one) if kind.repeated else one


def _default_code(field: dataclasses.Field, index: int, scope: dict[str, Any]) -> str | None:
    """What an absent field gets, as code (None: the value is already None, its default)."""
    if field.default_factory is not dataclasses.MISSING:
        scope[f"_factory{index}"] = field.default_factory
        return f"_factory{index}()"
    if field.default is dataclasses.MISSING:
        # Broken documents must stay readable so that the rules can name what is missing.
        raise TypeError(f"model field {field.name} has no default")
    if field.default is None:
        return None
    scope[f"_default{index}"] = field.default
    return f"_default{index}"


def _not_an_object(obj: Any) -> Invalid:
    return Invalid(f"expected a JSON object, got {json_type(obj)}")


def _unknown_field(obj: dict, cls: type) -> Invalid:
    known = {f.name for f in dataclasses.fields(cls)}
    key = next(k for k in obj if k not in known)
    return Invalid(f"unknown field {key!r} in {cls.__name__}", key)
