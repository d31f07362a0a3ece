"""Shared pytest fixtures: the official-rules oracle from ../shared, when it is there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("FAKTURAPORT_SHARED", ROOT.parent / "shared"))
CONFORMANCE = SHARED / "conformance"
ORACLE_PY = SHARED / "tools" / "oracle.py"


def _missing() -> str | None:
    if not ORACLE_PY.is_file():
        return f"official-rules oracle not found at {ORACLE_PY}"
    if not CONFORMANCE.is_dir():
        return f"official conformance material not found at {CONFORMANCE}"
    try:
        import saxonche  # noqa: F401
    except ImportError:
        return "saxonche is not installed (pip install '.[dev]')"
    return None


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    return CONFORMANCE


@pytest.fixture(scope="session")
def oracle():
    """One Oracle per session (it compiles the official Schematron once; not thread-safe)."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    sys.path.insert(0, str(ORACLE_PY.parent))
    from oracle import Oracle

    return Oracle()
