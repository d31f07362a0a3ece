"""What the receiving access point does with a document after AS4 accepted it: judge a received
invoice against the rules (the MLS it is owed), and apply an MLS that answers one of ours."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from channels.peppol.as4_receive import Received
from formats.convert import read_any
from formats.errors import FormatError
from formats.peppol import mls
from formats.peppol.identifiers import CREDIT_NOTE_NS, INVOICE_NS
from formats.peppol.rules import check
from formats.peppol.sbdh import unwrap

from .ledger import EvidenceItem, Ledger

log = logging.getLogger("fakturaport.inbound")
MAX_ISSUES = 50


@dataclass(frozen=True)
class Verdict:
    code: (
        str | None
    )  #: "RE" when the document is refused, else None (the tenant decides AP, time AB)
    description: str | None = None
    issues: tuple[Mapping[str, str], ...] = field(default_factory=tuple)


def judge(payload: bytes) -> Verdict:
    """A received BIS invoice or credit note that breaks fatal rules is refused (MLS RE: SV for
    syntax, BV for business rules); other document types are passed on unjudged."""
    document = unwrap(payload).payload
    if not document.lstrip().startswith(b"<") or not any(
        ns.encode() in document[:2000] for ns in (INVOICE_NS, CREDIT_NOTE_NS)
    ):
        return Verdict(None)
    try:
        findings = check(read_any(document), rulesets=("en16931", "peppol"))
    except FormatError as exc:
        return Verdict(
            "RE",
            "The document cannot be read",
            ({"reason": "SV", "description": str(exc)[:500], "location": "NA"},),
        )
    fatal = [f for f in findings if f.is_fatal]
    if not fatal:
        return Verdict(None)
    issues = tuple(
        {
            "reason": "BV",
            "description": f"[{f.rule}] {f.message}"[:500],
            "location": f.location or "NA",
        }
        for f in fatal[:MAX_ISSUES]
    )
    return Verdict("RE", f"The document breaks {len(fatal)} business rule(s)", issues)


def mls_plan(
    received: Received, verdict: Verdict, now: datetime, ack_window: timedelta
) -> dict[str, Any]:
    """Where the MLS goes (the SBDH's MLS_TO, else the sending AP's SPIS id) and what was asked."""
    scopes = received.scopes
    mls_to = scopes.get("MLS_TO") or mls.spis_id(received.from_ap)
    return {
        "mls_to": mls_to,
        "mls_type": "ALWAYS_SEND"
        if scopes.get("MLS_TYPE", "").upper() == "ALWAYS_SEND"
        else "FAILURE_ONLY",
        "ack_deadline": now + ack_window,
        "code": verdict.code,
        "description": verdict.description,
        "issues": verdict.issues,
    }


async def apply_mls(ledger: Ledger, received: Received, now: datetime) -> None:
    """An MLS for one of our transmissions: AP/AB confirm the delivery, RE fails it over."""
    document = unwrap(received.payload).payload
    try:
        status = mls.read(document)
    except FormatError as exc:
        log.warning(
            "unreadable MLS received", extra={"message_id": received.message_id, "error": str(exc)}
        )
        return
    delivery = await ledger.delivery_by_instance_id(status.reference)
    if delivery is None:
        log.warning(
            "MLS for an unknown transmission",
            extra={"reference": status.reference, "from_ap": received.from_ap},
        )
        return
    evidence = [EvidenceItem("mls", "application/xml", document)]
    if status.code == "RE":
        issues = "; ".join(f"{i.reason} {i.description}" for i in status.issues)[:400]
        await ledger.signal_failure(
            delivery["id"],
            f"refused by the receiving access point (MLS RE): {status.description}; {issues}",
            now,
            evidence,
        )
    elif not await ledger.confirm_delivered(delivery["id"], now, evidence):
        async with (
            ledger.transaction() as conn
        ):  # already delivered (MLS not awaited): keep the MLS as evidence
            await ledger.store_evidence(
                conn,
                delivery["tenant_id"],
                delivery["invoice_id"],
                delivery["id"],
                evidence[:1],
                now,
            )
    await ledger.record_mls_received(delivery, status.code, status.description, now)
    log.info(
        "MLS received",
        extra={
            "invoice_id": delivery["invoice_id"],
            "code": status.code,
            "from_ap": received.from_ap,
        },
    )
