"""The JSON Schema (draft 2020-12) of the canonical JSON invoice, generated from the model.

Each property's description starts with its EN 16931 id ("BT-1 Invoice number"), taken from the
field metadata, so the schema documents the business terms. The committed copy is
``formats/schema/invoice.schema.json``; regenerate it with ``python -m formats.jsonschema``
(a test checks that the committed file equals the generated one).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date
from decimal import Decimal
from enum import Enum
from importlib import resources
from typing import Any

from .jsoncodec import FieldKind, field_kinds
from .model import Invoice

SCHEMA_ID = "https://fakturaport.org/schema/invoice.json"
DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


def generate() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    _define(Invoice, defs)
    root = defs.pop("Invoice")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Fakturaport canonical invoice (EN 16931)",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _define(cls: type, defs: dict[str, Any]) -> str:
    name = cls.__name__
    if name in defs:
        return name
    defs[name] = {}  # placeholder: stops recursion
    meta = {f.name: f.metadata for f in dataclasses.fields(cls)}
    properties = {}
    required = []
    for kind in field_kinds(cls):
        prop = _property(kind, defs)
        bt, description = meta[kind.name].get("bt", ""), meta[kind.name].get("description", "")
        prop["description"] = f"{bt} {description}".strip()
        properties[kind.name] = prop
        if meta[kind.name].get("required"):
            required.append(kind.name)
    definition: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or name).strip().splitlines()[0],
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        definition["required"] = required
    defs[name] = definition
    return name


def _property(kind: FieldKind, defs: dict[str, Any]) -> dict[str, Any]:
    item = _type(kind.base, defs)
    return {"type": "array", "items": item} if kind.repeated else item


def _type(base: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if dataclasses.is_dataclass(base):
        return {"$ref": f"#/$defs/{_define(base, defs)}"}
    if base is Decimal:
        return {"type": ["string", "number"], "pattern": DECIMAL_PATTERN}
    if base is date:
        return {"type": "string", "format": "date"}
    if base is bool:
        return {"type": "boolean"}
    if base is bytes:
        return {"type": "string", "contentEncoding": "base64"}
    if isinstance(base, type) and issubclass(base, Enum):
        return {"type": "string", "enum": [m.value for m in base]}
    return {"type": "string"}


def dumps() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


def committed() -> str:
    """The schema file shipped in the package (served at /v1/schema/invoice.json)."""
    return resources.files("formats").joinpath("schema/invoice.schema.json").read_text("utf-8")


if __name__ == "__main__":
    sys.stdout.write(dumps())
