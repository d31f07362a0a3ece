"""Field metadata that ties every model field to its EN 16931 business term.

The JSON Schema generator and the validators read this metadata; keeping the BT/BG id next to
the field means the mapping lives in exactly one place.
"""

from __future__ import annotations

import dataclasses
from typing import Any

_MISSING: Any = dataclasses.MISSING


def term(bt: str, description: str, *, default: Any = None, factory: Any = _MISSING) -> Any:
    """A dataclass field documented with its EN 16931 id (``BT-1``, ``BG-4``) and meaning."""
    metadata = {"bt": bt, "description": description}
    if factory is not _MISSING:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def required(bt: str, description: str) -> Any:
    """A field EN 16931 makes mandatory.

    It still defaults to ``None``: documents that break the rules must be readable so that the
    validator can name the rule (BR-01, BR-06, …) instead of the reader failing on them.
    """
    return dataclasses.field(
        default=None, metadata={"bt": bt, "description": description, "required": True}
    )
