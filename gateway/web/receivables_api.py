"""/v1 routes for receivables: payment file import, unmatched payments, ageing, reminders due."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aiohttp import web

from formats.errors import FormatError

from ..intake import Problem
from ..ledger import now
from ..receivables.payment_files import read_payments
from .context import CTX, TENANT

routes = web.RouteTableDef()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data, default=str).encode(), content_type="application/json"
    )


@routes.post("/v1/payments/import")
async def import_payments(request: web.Request) -> web.Response:
    try:
        source, payments, booked = read_payments(await request.read())
    except FormatError as exc:
        raise Problem(
            422,
            "The payment file cannot be read",
            str(exc),
            kind="/problems/malformed",
            errors=({"message": exc.message, "location": exc.location},),
        ) from exc
    counts = await request.app[CTX].ledger.import_payments(
        request[TENANT].id, source, payments, booked
    )
    return _json({"source": source, **counts})


@routes.get("/v1/payments")
async def list_payments(request: web.Request) -> web.Response:
    rows = await request.app[CTX].ledger.payments(request[TENANT].id, request.query.get("state"))
    return _json({"items": rows})


@routes.post("/v1/payments/{id}/assign")
async def assign(request: web.Request) -> web.Response:
    try:
        body = json.loads(await request.read() or b"{}")
        invoice_id = body["invoice_id"]
    except (ValueError, KeyError, TypeError):
        raise Problem(400, "Bad request", 'send {"invoice_id": "…"}') from None
    if not await request.app[CTX].ledger.assign_payment(
        request[TENANT].id, request.match_info["id"], str(invoice_id)
    ):
        raise Problem(
            404,
            "Not found",
            "no unmatched payment or no open item with these ids",
            kind="/problems/not-found",
        )
    return _json({"assigned": True})


def _today(request: web.Request) -> date:
    raw = request.query.get("date")
    try:
        return date.fromisoformat(raw) if raw else now().date()
    except ValueError:
        raise Problem(400, "Bad date", "date must be YYYY-MM-DD") from None


@routes.get("/v1/receivables/ageing")
async def ageing(request: web.Request) -> web.Response:
    ledger, tenant, today = request.app[CTX].ledger, request[TENANT].id, _today(request)
    return _json({**await ledger.ageing(tenant, today), "dso": await ledger.dso(tenant, today)})


@routes.get("/v1/receivables/reminders-due")
async def reminders_due(request: web.Request) -> web.Response:
    return _json(
        {"items": await request.app[CTX].ledger.reminders_due(request[TENANT].id, _today(request))}
    )


@routes.get("/v1/receivables/{invoice_id}")
async def receivable(request: web.Request) -> web.Response:
    row = await request.app[CTX].ledger.receivable(
        request[TENANT].id, request.match_info["invoice_id"]
    )
    if row is None:
        raise Problem(404, "Not found", "no open item for this invoice", kind="/problems/not-found")
    return _json(row)
