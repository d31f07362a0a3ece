"""The /v1 API handlers. Every handler works inside the caller's tenant (``request[TENANT]``);
another tenant's invoice is answered with 404, never with its existence."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ..intake import Problem
from ..ledger import DeliveryInFlight, now
from ..ledger.states import WEBHOOK_EVENTS
from ..submit import submit
from .context import CTX, TENANT, AppContext

routes = web.RouteTableDef()
MAX_PAGE = 200


def _ctx(request: web.Request) -> AppContext:
    return request.app[CTX]


def _json(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(data, default=_default, ensure_ascii=False).encode(),
        content_type="application/json",
        headers=headers,
    )


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def _links(invoice_id: str) -> dict[str, str]:
    base = f"/v1/invoices/{invoice_id}"
    return {
        "self": base,
        "events": f"{base}/events",
        "evidence": f"{base}/evidence",
        "ubl": f"{base}/documents/ubl",
    }


def invoice_view(row: dict[str, Any]) -> dict[str, Any]:
    view = {
        "id": row["id"],
        "number": row["number"],
        "kind": row["kind"],
        "status": row["status"],
        "overdue": bool(row["overdue"]),
        "buyer": row["buyer_name"],
        "amount": {"currency": row["currency"], "payable": row["payable"]},
        "due_date": row["due_date"],
        "plan": row["plan"],
        "current_channel": row["current_channel"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "links": _links(row["id"]),
    }
    if "deliveries" in row:
        view["deliveries"] = [
            {
                k: d[k]
                for k in (
                    "id",
                    "channel",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "remote_id",
                    "last_error",
                    "message_id",
                    "created_at",
                )
            }
            for d in row["deliveries"]
        ]
    return view


@routes.post("/v1/invoices")
async def post_invoice(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    started = time.perf_counter()
    body = await request.read()
    plan = request.query.get("plan")
    outcome = "rejected"
    try:
        submitted = await submit(
            ctx.ledger,
            request[TENANT],
            body,
            request.headers.get("Content-Type"),
            idempotency_key=request.headers.get("Idempotency-Key"),
            configured=ctx.channel_types,
            default_plan=ctx.settings.default_plan,
            plan_override=plan.split(",") if plan else None,
            executor=ctx.executor,
        )
        outcome = "accepted" if submitted.result.created else "replayed"
    finally:
        ctx.metrics.intake(outcome, time.perf_counter() - started)
    result = submitted.result
    status = 202 if result.created else 200
    payload = {
        "id": result.invoice_id,
        "status": result.status,
        "plan": list(submitted.plan),
        "replayed": not result.created,
        "warnings": list(submitted.warnings),
        "links": _links(result.invoice_id),
    }
    return _json(payload, status, headers={"Location": f"/v1/invoices/{result.invoice_id}"})


@routes.get("/v1/invoices")
async def list_invoices(request: web.Request) -> web.Response:
    q = request.query
    try:
        limit = min(int(q.get("limit", "50")), MAX_PAGE)
        since = datetime.fromisoformat(q["since"]) if "since" in q else None
        until = datetime.fromisoformat(q["until"]) if "until" in q else None
        amount_min = Decimal(q["amount_min"]) if "amount_min" in q else None
        amount_max = Decimal(q["amount_max"]) if "amount_max" in q else None
        if limit < 1 or (since and since.tzinfo is None) or (until and until.tzinfo is None):
            raise ValueError
    except (ValueError, InvalidOperation):
        raise Problem(
            400,
            "Bad query",
            "limit must be 1-200; since/until ISO 8601 date-times with a time zone; amount_min/amount_max decimal numbers",
        ) from None
    try:
        rows, cursor = await _ctx(request).ledger.list_invoices(
            request[TENANT].id,
            status=q.get("status"),
            channel=q.get("channel"),
            since=since,
            until=until,
            query=q.get("q"),
            recipient=q.get("recipient"),
            amount_min=amount_min,
            amount_max=amount_max,
            sort=q.get("sort"),
            cursor=q.get("cursor"),
            limit=limit,
        )
    except ValueError as exc:
        raise Problem(
            400,
            "Bad cursor or sort",
            str(exc) if "sort" in str(exc) else "the cursor is not one this API returned",
        ) from None
    return _json({"items": [invoice_view(r) for r in rows], "next_cursor": cursor})


async def _invoice_or_404(request: web.Request) -> dict[str, Any]:
    row = await _ctx(request).ledger.get_invoice(request[TENANT].id, request.match_info["id"])
    if row is None:
        raise Problem(404, "Not found", "no such invoice", kind="/problems/not-found")
    return row


@routes.get("/v1/invoices/{id}")
async def get_invoice(request: web.Request) -> web.Response:
    return _json(invoice_view(await _invoice_or_404(request)))


@routes.get("/v1/invoices/{id}/events")
async def get_events(request: web.Request) -> web.Response:
    await _invoice_or_404(request)
    events = await _ctx(request).ledger.events(request[TENANT].id, request.match_info["id"])
    return _json(
        {
            "items": [
                {k: e[k] for k in ("id", "type", "detail", "at", "delivery_id")} for e in events
            ]
        }
    )


@routes.get("/v1/invoices/{id}/documents/{kind}")
async def get_document(request: web.Request) -> web.Response:
    doc = await _ctx(request).ledger.document(
        request[TENANT].id, request.match_info["id"], request.match_info["kind"]
    )
    if doc is None:
        raise Problem(404, "Not found", "no such invoice or document", kind="/problems/not-found")
    headers = {"Content-Disposition": f'inline; filename="{doc["filename"] or "document"}"'}
    return web.Response(
        body=doc["content"], content_type=doc["media_type"].split(";")[0], headers=headers
    )


@routes.get("/v1/invoices/{id}/evidence")
async def get_evidence(request: web.Request) -> web.Response:
    await _invoice_or_404(request)
    items = await _ctx(request).ledger.evidence(request[TENANT].id, request.match_info["id"])
    return _json(
        {
            "items": [
                {
                    "id": e["id"],
                    "delivery_id": e["delivery_id"],
                    "kind": e["kind"],
                    "media_type": e["media_type"],
                    "created_at": e["created_at"],
                    "content_base64": base64.b64encode(e["content"]).decode(),
                }
                for e in items
            ]
        }
    )


@routes.post("/v1/invoices/{id}/retry")
async def retry(request: web.Request) -> web.Response:
    await _invoice_or_404(request)
    await _ctx(request).ledger.retry(request[TENANT].id, request.match_info["id"], now())
    return _json(invoice_view(await _invoice_or_404(request)), 202)


@routes.post("/v1/invoices/{id}/redirect")
async def redirect(request: web.Request) -> web.Response:
    await _invoice_or_404(request)
    body = await _json_body(request)
    channel = body.get("channel")
    if channel not in _ctx(request).channel_types:
        raise Problem(
            422,
            "Unknown channel",
            f"channel must be one of {sorted(_ctx(request).channel_types)}",
            kind="/problems/unknown-channel",
        )
    try:
        await _ctx(request).ledger.retry(
            request[TENANT].id, request.match_info["id"], now(), channel=channel
        )
    except DeliveryInFlight as exc:
        raise Problem(
            409,
            "Delivery under way",
            f"{exc}; redirect once it has ended, or the invoice could be delivered twice",
            kind="/problems/delivery-in-flight",
        ) from None
    return _json(invoice_view(await _invoice_or_404(request)), 202)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        raise Problem(400, "Bad request", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise Problem(400, "Bad request", "the body must be a JSON object")
    return body


# --- recipients directory --------------------------------------------------------------------------------


_RECIPIENT_FIELDS = {
    "name": str,
    "peppol_id": str,
    "email": str,
    "postal": dict,
    "operator": str,
    "plan": list,
    "language": str,
}


@routes.get("/v1/recipients")
async def list_recipients(request: web.Request) -> web.Response:
    rows = await _ctx(request).ledger.list_recipients(request[TENANT].id)
    return _json({"items": [{k: r[k] for k in ("key", *_RECIPIENT_FIELDS)} for r in rows]})


@routes.put("/v1/recipients/{key}")
async def put_recipient(request: web.Request) -> web.Response:
    body = await _json_body(request)
    errors = [
        {
            "pointer": f"/{k}",
            "message": f"must be {kind.__name__}" if k in _RECIPIENT_FIELDS else "unknown field",
        }
        for k, v in body.items()
        if (kind := _RECIPIENT_FIELDS.get(k)) is None or (v is not None and not isinstance(v, kind))
    ]
    if "plan" in body and isinstance(body["plan"], list):
        unknown = [p for p in body["plan"] if p not in _ctx(request).channel_types]
        if unknown:
            errors.append({"pointer": "/plan", "message": f"unknown channel(s) {unknown}"})
    if errors:
        raise Problem(
            422,
            "Invalid recipient",
            "see errors",
            kind="/problems/invalid-recipient",
            errors=tuple(errors),
        )
    key = request.match_info["key"].strip().lower()
    entry = await _ctx(request).ledger.put_recipient(request[TENANT].id, key, body)
    return _json({k: entry.get(k) for k in ("key", *_RECIPIENT_FIELDS)})


@routes.delete("/v1/recipients/{key}")
async def delete_recipient(request: web.Request) -> web.Response:
    if not await _ctx(request).ledger.delete_recipient(
        request[TENANT].id, request.match_info["key"].strip().lower()
    ):
        raise Problem(404, "Not found", "no such recipient", kind="/problems/not-found")
    return web.Response(status=204)


# --- reports, events, webhooks, schema ---------------------------------------------------------------------


@routes.get("/v1/reports/reconciliation")
async def reconciliation(request: web.Request) -> web.Response:
    raw = request.query.get("date")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Problem(400, "Bad date", "date must be YYYY-MM-DD") from None
    return _json(await _ctx(request).ledger.reconciliation(request[TENANT].id, day))


@routes.get("/v1/events")
async def events_feed(request: web.Request) -> web.Response:
    try:
        after = int(request.query.get("after", "0"))
        limit = min(int(request.query.get("limit", "100")), 1000)
    except ValueError:
        raise Problem(400, "Bad query", "after and limit must be integers") from None
    events = await _ctx(request).ledger.events_after(request[TENANT].id, after, limit)
    items = [
        {k: e[k] for k in ("id", "type", "invoice_id", "delivery_id", "detail", "at")}
        for e in events
    ]
    return _json({"items": items, "next_cursor": items[-1]["id"] if items else after})


@routes.get("/v1/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    rows = await _ctx(request).ledger.list_webhooks(request[TENANT].id)
    return _json(
        {"items": [{k: r[k] for k in ("id", "url", "events", "created_at")} for r in rows]}
    )


@routes.post("/v1/webhooks")
async def add_webhook(request: web.Request) -> web.Response:
    body = await _json_body(request)
    url = body.get("url")
    events = body.get("events") or sorted(WEBHOOK_EVENTS)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise Problem(
            422,
            "Invalid webhook",
            "url must be an http(s) URL",
            errors=({"pointer": "/url", "message": "http(s) URL required"},),
        )
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown:
        raise Problem(
            422,
            "Invalid webhook",
            f"unknown event types {unknown}",
            errors=({"pointer": "/events", "message": "unknown event"},),
        )
    endpoint_id = uuid.uuid4().hex
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    await _ctx(request).ledger.add_webhook(
        request[TENANT].id, endpoint_id, url, secret, list(events), now()
    )
    return _json({"id": endpoint_id, "url": url, "events": events, "secret": secret}, 201)


@routes.delete("/v1/webhooks/{id}")
async def delete_webhook(request: web.Request) -> web.Response:
    if not await _ctx(request).ledger.delete_webhook(request[TENANT].id, request.match_info["id"]):
        raise Problem(404, "Not found", "no such webhook", kind="/problems/not-found")
    return web.Response(status=204)


@routes.get("/v1/schema/invoice.json")
async def invoice_schema(request: web.Request) -> web.Response:
    from formats.jsonschema import committed

    return web.Response(text=committed(), content_type="application/schema+json")
