"""The daily digest to finance: failures, overdue invoices and delivered counts, with a link to
the failure queue. Sent through the SMTP settings of the email channel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from .ledger import Ledger


async def compose(
    ledger: Ledger, tenant_id: str, tenant_name: str, public_url: str, day: datetime | None = None
) -> EmailMessage:
    day = day or datetime.now(UTC)
    start = datetime.combine(day.date(), time(), tzinfo=UTC) - timedelta(days=1)
    counts = await ledger.dashboard_counts(tenant_id, start)
    failures = await ledger.failure_queue(tenant_id, limit=50)
    check = await ledger.reconciliation(tenant_id)
    lines = [
        f"Fakturaport daily digest for {tenant_name}, {start.date().isoformat()}",
        "",
        f"Accepted since yesterday: {counts['total']}",
        *(
            f"  {status.replace('_', ' ')}: {n}"
            for status, n in sorted(counts["by_status"].items())
        ),
        "",
        f"Conservation check (all time): accepted {check['accepted']} = delivered {check['delivered']} + failed "
        f"{check['failed']} + in flight {check['in_flight']} -> {'OK' if check['balanced'] else 'MISMATCH'}",
        f"Overdue: {check['overdue']}",
        "",
        f"Needing action: {len(failures)}",
    ]
    for row in failures[:20]:
        reason = (
            f"{row['reason'][0]}: {row['reason'][1]}"
            if row["reason"]
            else ("overdue" if row["overdue"] else "")
        )
        lines.append(
            f"  {row['number'] or row['id'][:8]}  {row['buyer_name'] or ''}  {row['status']}  {reason}"
        )
    lines += [
        "",
        f"Failure queue: {public_url.rstrip('/')}/ui/failures"
        if public_url
        else "Failure queue: /ui/failures",
    ]
    message = EmailMessage()
    message["Subject"] = (
        f"Fakturaport: {len(failures)} invoice(s) need action"
        if failures
        else "Fakturaport: all invoices on track"
    )
    message.set_content("\n".join(lines) + "\n")
    return message


async def send(message: EmailMessage, smtp: dict[str, Any], recipients: list[str]) -> None:
    message["From"] = smtp.get("from_address", "fakturaport@localhost")
    message["To"] = ", ".join(recipients)
    await aiosmtplib.send(
        message,
        hostname=smtp.get("host", "127.0.0.1"),
        port=int(smtp.get("port", 25)),
        username=smtp.get("username"),
        password=smtp.get("password"),
        start_tls=smtp.get("security") == "starttls" or None,
        use_tls=smtp.get("security") == "tls",
        timeout=float(smtp.get("timeout", 30)),
    )
