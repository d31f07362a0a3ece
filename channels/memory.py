"""Channel ``memory``: an in-process fake with scriptable outcomes, for tests of the gateway.

Each send consumes the next scripted outcome (default: deliver). Tests assert on ``sent``.
Not for production: nothing leaves the process.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import DeliveryError, Envelope, Receipt, RemoteRejected, RemoteUnavailable


class MemoryChannel:
    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[Envelope] = []
        self.script: deque[Any] = deque()
        self.delay = 0.0

    def then(self, *outcomes: Any) -> MemoryChannel:
        """Queue outcomes: "deliver", "pending", "transient", "permanent" or a DeliveryError."""
        self.script.extend(outcomes)
        return self

    async def send(self, envelope: Envelope) -> Receipt:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(envelope)
        outcome = self.script.popleft() if self.script else "deliver"
        if isinstance(outcome, DeliveryError):
            raise outcome
        if outcome == "transient":
            raise RemoteUnavailable("scripted transient failure")
        if outcome == "permanent":
            raise RemoteRejected("scripted rejection")
        if isinstance(outcome, Exception):
            raise outcome
        return Receipt(
            channel=self.name,
            remote_id=f"mem-{len(self.sent)}",
            received_at=datetime.now(UTC),
            pending_confirmation=outcome == "pending",
        )

    async def aclose(self) -> None:
        return None


def build(config: Mapping[str, Any], *, settings: Any) -> MemoryChannel:
    return MemoryChannel(config.get("name", "memory"))
