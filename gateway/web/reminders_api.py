"""/v1 routes for reminders, collection hand-over and write-off of open items."""

from __future__ import annotations

import json

from aiohttp import web

from ..intake import Problem
from ..ledger import RenderedDocument, now
from ..ledger.states import EventType
from ..receivables import reminder_job
from ..receivables.collection import NotEligible, case_csv, case_file, check_eligible
from .context import CTX, TENANT
from .receivables_api import _json, _today

routes = web.RouteTableDef()


@routes.post("/v1/receivables/reminders/run")
async def run_reminders(request: web.Request) -> web.Response:
    """Issue the reminders due on ``date`` (default today); repeating it issues nothing twice."""
    ctx = request.app[CTX]
    result = await reminder_job.run(
        ctx.ledger,
        ctx.settings,
        ctx.channel_types,
        request[TENANT].id,
        _today(request),
        ctx.executor,
    )
    return _json(result)


async def _item(request: web.Request) -> dict:
    item = await request.app[CTX].ledger.receivable(
        request[TENANT].id, request.match_info["invoice_id"]
    )
    if item is None:
        raise Problem(404, "Not found", "no open item for this invoice", kind="/problems/not-found")
    return item


@routes.get("/v1/receivables/{invoice_id}/reminders")
async def reminders(request: web.Request) -> web.Response:
    item = await _item(request)
    rows = await request.app[CTX].ledger.reminders_of(request[TENANT].id, item["invoice_id"])
    return _json({"items": rows})


def _case_response(request: web.Request, case: dict, status: int = 200) -> web.Response:
    if request.query.get("format") == "csv":
        return web.Response(
            status=status,
            text=case_csv(case),
            content_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="case-{case["invoice"]["number"]}.csv"'
            },
        )
    return _json(case, status)


@routes.post("/v1/receivables/{invoice_id}/collection")
async def hand_over(request: web.Request) -> web.Response:
    """After the final notice and its grace period: the case file, and the item handed over."""
    ctx, tenant = request.app[CTX], request[TENANT].id
    item, today = await _item(request), _today(request)
    try:
        check_eligible(item, today)
    except NotEligible as exc:
        raise Problem(
            409, "Not ready for collection", str(exc), kind="/problems/not-eligible"
        ) from exc
    invoice = await ctx.ledger.get_invoice(tenant, item["invoice_id"])
    case = case_file(
        item, invoice, await ctx.ledger.reminders_of(tenant, item["invoice_id"]), today
    )
    stored = RenderedDocument(
        "collection-case",
        "application/json",
        json.dumps(case, default=str, ensure_ascii=False).encode(),
        "collection-case.json",
    )
    if not await ctx.ledger.close_item(
        tenant,
        item["invoice_id"],
        "handed_to_collection",
        EventType.HANDED_TO_COLLECTION,
        {"total": case["amounts"]["total"], "case_date": case["case_date"]},
        (stored,),
    ):
        raise Problem(
            409,
            "Not ready for collection",
            "the item changed meanwhile; reload it",
            kind="/problems/not-eligible",
        )
    return _case_response(request, case, 201)


@routes.get("/v1/receivables/{invoice_id}/collection")
async def case_again(request: web.Request) -> web.Response:
    """The case file as it was handed over."""
    item = await _item(request)
    doc = await request.app[CTX].ledger.document(
        request[TENANT].id, item["invoice_id"], "collection-case"
    )
    if doc is None:
        raise Problem(
            404, "Not found", "this item was not handed to collection", kind="/problems/not-found"
        )
    return _case_response(request, json.loads(doc["content"]))


@routes.post("/v1/receivables/{invoice_id}/write-off")
async def write_off(request: web.Request) -> web.Response:
    item = await _item(request)
    try:
        body = json.loads(await request.read() or b"{}")
        reason = str(body.get("reason") or "")[:500]
    except (ValueError, AttributeError):
        raise Problem(400, "Bad request", 'send {"reason": "…"}') from None
    if not await request.app[CTX].ledger.close_item(
        request[TENANT].id,
        item["invoice_id"],
        "written_off",
        EventType.WRITTEN_OFF,
        {"open_amount": item["open_amount"], "reason": reason, "on": now().date().isoformat()},
    ):
        raise Problem(409, "Not open", f"the item is {item['state']}", kind="/problems/not-open")
    return _json({"state": "written_off"})
