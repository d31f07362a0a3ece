"""Pre-flight deliverability: ``GET /v1/recipients/lookup?id=SCHEME:ID`` answers, while the
invoice is still a draft, whether the participant is on Peppol (for invoices and credit notes,
through which access point, with an acceptable certificate), and which channel of the plan would
carry the invoice otherwise."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from formats.errors import FormatError
from formats.peppol.identifiers import ParticipantId

from ..channels import NEEDS
from ..intake import Problem
from .context import CTX, TENANT

routes = web.RouteTableDef()


@routes.get("/v1/recipients/lookup")
async def lookup(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    raw = request.query.get("id", "")
    try:
        participant = str(ParticipantId.parse(raw))
    except FormatError as exc:
        raise Problem(
            422,
            "Invalid participant id",
            str(exc),
            kind="/problems/invalid-participant",
            errors=({"parameter": "id", "message": str(exc)},),
        ) from exc
    entry = await ctx.ledger.find_recipient(request[TENANT].id, [participant.lower()]) or {}
    peppol: dict[str, Any] = {}
    for name, channel in ctx.channels.items():
        if ctx.channel_types.get(name) == "peppol":
            peppol[name] = await channel.deliverability(participant)
    plan = list(entry.get("plan") or ctx.settings.default_plan)
    steps = []
    for name in plan:
        kind = ctx.channel_types.get(name)
        if kind is None:
            steps.append({"channel": name, "usable": False, "reason": "not configured"})
        elif kind == "peppol":
            invoice = peppol.get(name, {}).get("invoice", {})
            steps.append(
                {
                    "channel": name,
                    "usable": invoice.get("reachable"),
                    "reason": invoice.get("reason"),
                }
            )
        elif (need := NEEDS.get(kind)) and not entry.get(need):
            steps.append(
                {
                    "channel": name,
                    "usable": False,
                    "reason": f"the directory has no {need} for this recipient",
                }
            )
        else:
            steps.append({"channel": name, "usable": True, "reason": None})
    would_use = next((s["channel"] for s in steps if s["usable"]), None)
    return web.json_response(
        {
            "id": participant,
            "directory_entry": {
                k: entry.get(k) for k in ("key", "name", "email", "postal", "operator", "plan")
            }
            if entry
            else None,
            "peppol": peppol,
            "plan": steps,
            "would_use": would_use,
        }
    )
