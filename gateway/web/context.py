"""What the handlers share, built once in ``create_app`` (no module-level singletons)."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..ledger import Ledger
from ..settings import Settings
from .metrics import Metrics


@dataclass(slots=True)
class AppContext:
    settings: Settings
    ledger: Ledger
    channels: dict[str, Any]
    channel_types: dict[str, str]
    metrics: Metrics
    executor: Executor | None = None


CTX = web.AppKey("ctx", AppContext)
SETTINGS = web.AppKey("settings", Settings)
WORKER = web.AppKey("worker", object)
REQUEST_ID = web.RequestKey("request_id", str)
TENANT = web.RequestKey("tenant", object)
