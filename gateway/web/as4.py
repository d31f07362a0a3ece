"""POST /as4 (the receiving access point) and the /v1/inbox API for what arrived."""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from channels.peppol.as4_receive import handle
from formats.errors import FormatError
from formats.peppol import mls

from .. import inbound
from ..intake import Problem
from ..ledger import now
from .context import CTX, TENANT

log = logging.getLogger("fakturaport.as4")
routes = web.RouteTableDef()
MAX_MESSAGE = 120 * 1024 * 1024


async def receive(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    channel = next(
        (c for n, c in ctx.channels.items() if ctx.channel_types.get(n) == "peppol"), None
    )
    if channel is None:
        raise web.HTTPNotFound(text="this gateway does not receive Peppol messages")
    body = await request.read()
    ledger = ctx.ledger

    async def serves(participant: str) -> bool:
        # Our tenants' participants, and our own SPIS id: Message Level Status comes back to it.
        if channel.spis and participant.lower() == channel.spis:
            return True
        return await ledger.tenant_by_peppol_id(participant) is not None

    reply = await handle(
        request.headers.get("Content-Type", ""),
        body,
        channel.identity,
        serves=serves,
        seen=ledger.inbox_seen,
        revocation=channel.revocation.check,
    )
    received = reply.received
    if received is not None and not received.duplicate:
        if received.document_type == mls.DOCUMENT_TYPE:
            await inbound.apply_mls(ledger, received, now())
        else:
            await _store(ledger, channel, received)
    elif reply.error is not None:
        log.warning("AS4 message refused", extra={"error": str(reply.error)})
    return web.Response(body=reply.body, content_type="application/soap+xml", charset="utf-8")


async def _store(ledger, channel, received) -> None:
    tenant = await ledger.tenant_by_peppol_id(received.receiver)
    verdict = await asyncio.get_running_loop().run_in_executor(
        None, inbound.judge, received.payload
    )
    try:
        plan = inbound.mls_plan(received, verdict, now(), channel.mls_ack_window)
    except FormatError as exc:  # no MLS_TO and a sending seat without an SPIS number
        log.warning(
            "no MLS can be addressed for a received document",
            extra={"message_id": received.message_id, "error": str(exc)},
        )
        plan = None
    stored = await ledger.store_inbound(
        tenant.id,
        message_id=received.message_id,
        instance_id=received.instance_id,
        sender=received.sender,
        receiver=received.receiver,
        document_type=received.document_type,
        payload=received.payload,
        mls=plan,
        status="rejected" if verdict.code == "RE" else "received",
    )
    log.info(
        "document received",
        extra={
            "message_id": received.message_id,
            "inbox_id": stored,
            "from_ap": received.from_ap,
            "verdict": verdict.code or "pending",
        },
    )


@routes.get("/v1/inbox")
async def inbox(request: web.Request) -> web.Response:
    rows = await request.app[CTX].ledger.list_inbox(request[TENANT].id)
    items = [
        {
            k: r.get(k)
            for k in (
                "id",
                "message_id",
                "instance_id",
                "sender",
                "receiver",
                "document_type",
                "status",
                "received_at",
                "acked_at",
                "mls_code",
                "mls_state",
            )
        }
        for r in rows
    ]
    return web.json_response({"items": items}, dumps=lambda v: json.dumps(v, default=str))


@routes.get("/v1/inbox/{id}")
async def inbox_item(request: web.Request) -> web.Response:
    item = await request.app[CTX].ledger.inbox_item(request[TENANT].id, request.match_info["id"])
    if item is None:
        raise Problem(404, "Not found", "no such received document", kind="/problems/not-found")
    return web.Response(body=item["content"], content_type="application/xml")


@routes.post("/v1/inbox/{id}/ack")
async def inbox_ack(request: web.Request) -> web.Response:
    """Body (optional): ``{"accepted": false, "reason": "…"}`` when the document could not be taken."""
    body: dict = {}
    if request.can_read_body:
        try:
            body = await request.json()
        except ValueError as exc:
            raise Problem(400, "Malformed JSON", str(exc), kind="/problems/malformed-json") from exc
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("accepted", True), bool)
            or not isinstance(body.get("reason", ""), str)
        ):
            raise Problem(
                422,
                "Invalid acknowledgement",
                "accepted must be a boolean and reason a string",
                kind="/problems/invalid-ack",
                errors=(
                    {"pointer": "/accepted", "message": "a boolean"},
                    {"pointer": "/reason", "message": "a string"},
                ),
            )
    accepted = body.get("accepted", True)
    ledger = request.app[CTX].ledger
    if not await ledger.ack_inbox(
        request[TENANT].id, request.match_info["id"], accepted=accepted, reason=body.get("reason")
    ):
        raise Problem(404, "Not found", "no such received document", kind="/problems/not-found")
    status = await ledger.mls_for_inbox(request[TENANT].id, request.match_info["id"])
    return web.json_response(
        {
            "acknowledged": accepted,
            "mls": {"code": status["code"], "state": status["state"]} if status else None,
        }
    )
