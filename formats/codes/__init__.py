"""Code lists as data: one text file per list (one code per line, ``#`` comments name the source).

``codes("ISO4217")`` returns the codes as a frozenset, loaded once. The files hold the values the
EN 16931 validation artefacts (1.3.16) and Peppol BIS Billing 3.0.21 accept, so the native rules
and the official rules agree on what a valid code is.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def codes(name: str) -> frozenset[str]:
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
