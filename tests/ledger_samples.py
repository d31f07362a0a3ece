"""An invoice as the ledger takes it once intake has read, checked and rendered it: test data for
ledger-level tests and the ledger-only benchmarks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gateway.ledger import Acceptance, RenderedDocument


def acceptance(tenant_id: str, key: str, **changes: Any) -> Acceptance:
    """An invoice under idempotency key ``key`` (also its number and body hash) for the spool;
    ``changes`` replace any other field."""
    return replace(
        Acceptance(
            tenant_id=tenant_id,
            idempotency_key=key,
            body_hash=key,
            number=key,
            kind="invoice",
            buyer_name="B",
            buyer_key="0007:1",
            currency="SEK",
            payable="10.00",
            due_date=None,
            plan=("spool",),
            recipient={},
            documents=(RenderedDocument("ubl", "application/xml", b"<Invoice/>"),),
        ),
        **changes,
    )
