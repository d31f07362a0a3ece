"""Shared pytest fixtures: the official-rules oracle from ../shared, and a PostgreSQL test database."""

from __future__ import annotations

import os
import sys
import uuid
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


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3
        ):
            return None
    except Exception as exc:  # any failure to connect means: no server to test against
        return f"no PostgreSQL server answers on 127.0.0.1:5432 ({type(exc).__name__})"


@pytest.fixture(scope="session")
def pg_database():
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"fakturaport_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
