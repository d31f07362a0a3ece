"""POST /as4 (the receiving access point) and the /v1/inbox API for what arrived."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from channels.peppol.as4_receive import handle

from ..intake import Problem
from .context import CTX, TENANT

log = logging.getLogger("fakturaport.as4")
routes = web.RouteTableDef()
MAX_MESSAGE = 120 * 1024 * 1024


async def receive(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    channel = next((c for n, c in ctx.channels.items() if ctx.channel_types.get(n) == "peppol"), None)
    if channel is None:
        raise web.HTTPNotFound(text="this gateway does not receive Peppol messages")
    body = await request.read()
    ledger = ctx.ledger

    async def serves(participant: str) -> bool:
        return await ledger.tenant_by_peppol_id(participant) is not None

    reply = await handle(request.headers.get("Content-Type", ""), body, channel.identity, serves=serves, seen=ledger.inbox_seen)
    received = reply.received
    if received is not None and not received.duplicate:
        tenant = await ledger.tenant_by_peppol_id(received.receiver)
        stored = await ledger.store_inbound(
            tenant.id, message_id=received.message_id, instance_id=received.instance_id, sender=received.sender,
            receiver=received.receiver, document_type=received.document_type, payload=received.payload,
        )
        log.info("document received", extra={"message_id": received.message_id, "inbox_id": stored, "from_ap": received.from_ap})
    elif reply.error is not None:
        log.warning("AS4 message refused", extra={"error": str(reply.error)})
    return web.Response(body=reply.body, content_type="application/soap+xml", charset="utf-8")


@routes.get("/v1/inbox")
async def inbox(request: web.Request) -> web.Response:
    rows = await request.app[CTX].ledger.list_inbox(request[TENANT].id)
    items = [{k: r[k] for k in ("id", "message_id", "instance_id", "sender", "receiver", "document_type", "status", "received_at", "acked_at")} for r in rows]
    return web.json_response({"items": items}, dumps=lambda v: json.dumps(v, default=str))


@routes.get("/v1/inbox/{id}")
async def inbox_item(request: web.Request) -> web.Response:
    item = await request.app[CTX].ledger.inbox_item(request[TENANT].id, request.match_info["id"])
    if item is None:
        raise Problem(404, "Not found", "no such received document", kind="/problems/not-found")
    return web.Response(body=item["content"], content_type="application/xml")


@routes.post("/v1/inbox/{id}/ack")
async def inbox_ack(request: web.Request) -> web.Response:
    if not await request.app[CTX].ledger.ack_inbox(request[TENANT].id, request.match_info["id"]):
        raise Problem(404, "Not found", "no such received document", kind="/problems/not-found")
    return web.json_response({"acknowledged": True})

