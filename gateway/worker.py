"""The delivery worker: claim due deliveries, send them, record every outcome.

Bounded concurrency (a semaphore per process); each delivery is leased so that a crashed worker's
deliveries return to the queue. Transient failures are retried at a persisted time computed
with tenacity's wait strategy (exponential with jitter, honouring a channel's Retry-After) within
the channel's attempt and deadline budget; permanent failures, or an exhausted budget, pass the
invoice to the next channel in its plan. Outcome writes are shielded from cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from tenacity import RetryCallState, wait_exponential_jitter

from channels import (
    Address,
    Channel,
    DeliveryError,
    Document,
    Envelope,
    PermanentDeliveryError,
    RateLimited,
    Receipt,
    TransientDeliveryError,
)

from .ledger import Claim, EvidenceItem, Ledger, SendingMaterial, now
from .settings import Settings

log = logging.getLogger("fakturaport.worker")


def next_attempt(
    policy: Any, attempt: int, when: datetime, retry_after: float | None = None
) -> datetime:
    """When to try again after ``attempt`` failed: exponential with jitter, at least Retry-After."""
    wait = wait_exponential_jitter(
        multiplier=policy.backoff_initial, max=policy.backoff_max, jitter=policy.backoff_initial
    )
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    seconds = float(wait(state))
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return when + timedelta(seconds=seconds)


class Worker:
    def __init__(
        self,
        ledger: Ledger,
        channels: dict[str, Channel],
        settings: Settings,
        *,
        name: str | None = None,
    ) -> None:
        self.ledger = ledger
        self.channels = channels
        self.settings = settings
        # Host and process first: the name is in every delivery's log lines and leases.
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._slots = asyncio.Semaphore(settings.worker.concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        log.info("worker started", extra={"worker": self.name})
        while not self._stopping.is_set():
            if len(self._tasks) >= self.settings.worker.concurrency:
                # Every slot is busy: claim again as soon as one frees up, not a poll later
                # (that capped a busy worker at ``concurrency`` deliveries per poll interval).
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
                continue
            claimed = await self.run_once()
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.settings.worker.poll_seconds)

    async def run_once(self) -> int:
        """Claim what is due (as far as free slots allow) and start sending it."""
        free = self.settings.worker.concurrency - len(self._tasks)
        if free <= 0:
            return 0
        claims = await self.ledger.claim_due(
            self.name,
            now(),
            limit=min(free, self.settings.worker.batch),
            lease=self.settings.worker.lease_seconds,
        )
        # What every claimed delivery sends, read at once. Should the read fail, each delivery
        # records a failed attempt and is retried like any other.
        material: dict[str, SendingMaterial] | BaseException
        try:
            material = await self.ledger.sending_material([c.invoice_id for c in claims])
        except Exception as exc:
            material = exc
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim, material))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claims)

    async def drain(self) -> None:
        """Wait for in-flight deliveries (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        self._stopping.set()
        await self.drain()

    async def _deliver(
        self, claim: Claim, material: dict[str, SendingMaterial] | BaseException
    ) -> None:
        async with self._slots:
            channel = self.channels.get(claim.channel)
            extra = {
                "worker": self.name,
                "invoice_id": claim.invoice_id,
                "delivery_id": claim.delivery_id,
                "channel": claim.channel,
                "attempt": claim.attempt,
            }
            if channel is None:
                await self._shielded(
                    self.ledger.record_failure(
                        claim,
                        self.name,
                        now(),
                        error=f"channel {claim.channel!r} is not configured",
                    )
                )
                return
            try:
                if isinstance(material, BaseException):
                    raise TransientDeliveryError(f"reading what to send failed: {material}")
                envelope = await self._envelope(claim, material.get(claim.invoice_id))
                receipt = await channel.send(envelope)
            except DeliveryError as exc:
                await self._shielded(self._failed(claim, exc))
                log.warning(
                    "delivery attempt failed",
                    extra={**extra, "error": str(exc), "error_type": type(exc).__name__},
                )
                return
            except (
                Exception
            ) as exc:  # a bug in a channel: treat as transient, bounded by max attempts
                log.exception("channel raised an unexpected error", extra=extra)
                await self._shielded(
                    self._failed(claim, TransientDeliveryError(f"{type(exc).__name__}: {exc}"))
                )
                return
            await self._shielded(self._delivered(claim, receipt))
            log.info("delivered", extra={**extra, "remote_id": receipt.remote_id})

    async def _shielded(self, coro) -> Any:
        # Recording the outcome must survive cancellation (shutdown, client gone): the send happened.
        return await asyncio.shield(coro)

    async def _delivered(self, claim: Claim, receipt: Receipt) -> None:
        evidence = [EvidenceItem(e.kind, e.media_type, e.content) for e in receipt.evidence]
        await self.ledger.record_delivered(
            claim,
            self.name,
            now(),
            remote_id=receipt.remote_id,
            evidence=evidence,
            pending_confirmation=receipt.pending_confirmation,
            report=dict(receipt.report),
        )

    async def _failed(self, claim: Claim, exc: DeliveryError) -> None:
        when = now()
        evidence = [EvidenceItem(e.kind, e.media_type, e.content) for e in exc.evidence]
        error = f"{type(exc).__name__}: {exc}"
        policy = self.settings.policy(claim.channel)
        started = claim.first_attempt_at or when
        out_of_budget = (
            claim.attempt >= policy.max_attempts
            or (when - started).total_seconds() >= policy.deadline_seconds
        )
        if isinstance(exc, PermanentDeliveryError) or out_of_budget:
            if out_of_budget and not isinstance(exc, PermanentDeliveryError):
                error = f"gave up after {claim.attempt} attempts: {error}"
            await self.ledger.record_failure(claim, self.name, when, error=error, evidence=evidence)
            return
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        await self.ledger.record_retry(
            claim,
            self.name,
            when,
            next_at=next_attempt(policy, claim.attempt, when, retry_after),
            error=error,
            evidence=evidence,
        )

    async def _envelope(self, claim: Claim, material: SendingMaterial | None) -> Envelope:
        if material is None:
            raise PermanentDeliveryError(f"invoice {claim.invoice_id} is not in the ledger")
        invoice, docs = material
        recipient = invoice["recipient"] or {}
        meta = {
            "number": invoice["number"] or "",
            "currency": invoice["currency"] or "",
            "amount": invoice["payable"] or "",
            "due_date": invoice["due_date"] or "",
            "buyer_name": invoice["buyer_name"] or "",
            "seller_name": invoice["seller_name"] or "",
            "country_c1": recipient.get("sender_country") or "",
        }
        documents = tuple(
            Document(
                kind=d["kind"],
                media_type=d["media_type"],
                content=d["content"],
                filename=d["filename"],
            )
            for d in docs
        )
        document_type = invoice["kind"]
        if claim.reminder_id is not None:
            # A reminder travels as the delivery's only PDF; channels never see the invoice's.
            reminder = await self.ledger.reminder_of_delivery(claim.delivery_id) or {}
            own = f"reminder-{reminder.get('level')}"
            documents = tuple(replace(d, kind="pdf") for d in documents if d.kind == own)
            document_type = "reminder"
            meta.update(
                amount=reminder.get("total") or "",
                due_date=(reminder.get("basis") or {}).get("pay_by", ""),
                reminder_kind=reminder.get("kind") or "",
                reminder_level=str(reminder.get("level") or ""),
            )
        return Envelope(
            delivery_id=claim.delivery_id,
            invoice_id=claim.invoice_id,
            tenant_id=claim.tenant_id,
            attempt=claim.attempt,
            message_id=claim.message_id,
            sender=Address(
                peppol_id=recipient.get("sender_peppol_id"), extra={"tenant_id": claim.tenant_id}
            ),
            recipient=Address(
                peppol_id=recipient.get("peppol_id"),
                email=recipient.get("email"),
                postal=recipient.get("postal"),
                operator=recipient.get("operator"),
            ),
            documents=documents,
            document_type=document_type,
            language=recipient.get("language") or "en",
            meta=meta,
        )
