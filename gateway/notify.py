"""Webhooks to ERPs, signed per the Standard Webhooks scheme and sent from the ledger outbox.

Headers: ``webhook-id`` (the event id, stable across retries), ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(secret, "id.timestamp.body")),
where the secret is the base64 part of the ``whsec_…`` string. Failed sends are retried with
backoff; after ``MAX_ATTEMPTS`` the entry is closed with its last error (and stays in the
pull feed ``GET /v1/events``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

import aiohttp

from .ledger import Ledger, now

log = logging.getLogger("fakturaport.notify")
MAX_ATTEMPTS = 12


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers["webhook-signature"].split()
    )


def payload(item: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "type": item["type"],
            "timestamp": item["at"].isoformat(),
            "data": {"invoice_id": item["invoice_id"], **(item["detail"] or {})},
        },
        ensure_ascii=False,
        default=str,
    ).encode()


async def send_due(ledger: Ledger, session: aiohttp.ClientSession) -> int:
    items = await ledger.claim_webhooks(now())
    await asyncio.gather(*(_send(ledger, session, item) for item in items))
    return len(items)


async def _send(ledger: Ledger, session: aiohttp.ClientSession, item: dict[str, Any]) -> None:
    body = payload(item)
    message_id = f"evt_{item['event_id']}"
    stamp = int(now().timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(item["secret"], message_id, stamp, body),
    }
    error = None
    try:
        async with session.post(item["url"], data=body, headers=headers) as response:
            if response.status >= 300:
                error = f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    next_at = None
    if error and item["attempts"] < MAX_ATTEMPTS:
        next_at = now() + timedelta(seconds=min(3600, 2 ** item["attempts"]))
    if error:
        log.warning(
            "webhook failed",
            extra={"event_id": item["event_id"], "url": item["url"], "error": error},
        )
    await ledger.webhook_done(item["id"], now(), error=error, next_at=next_at)


async def run(ledger: Ledger, timeout: float = 10.0, interval: float = 1.0) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        while True:
            try:
                sent = await send_due(ledger, session)
            except Exception:
                log.exception("webhook sweep failed")
                sent = 0
            if not sent:
                await asyncio.sleep(interval)
