"""The dashboard's receivables page: ageing per customer and in total, DSO, and what the cadence
says goes out today — with a button (operators only) that issues those reminders."""

from __future__ import annotations

import logging
from datetime import date

from aiohttp import web

from ..ledger import now
from ..receivables import reminder_job
from .context import CTX
from .ui import SESSION, _require_operator, _tenant, render

log = logging.getLogger("fakturaport.ui")
routes = web.RouteTableDef()
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def _day(request: web.Request) -> date:
    try:
        return date.fromisoformat(request.query["date"])
    except (KeyError, ValueError):
        return now().date()


@routes.get("/ui/receivables")
async def receivables(request: web.Request) -> web.Response:
    ledger, tenant, today = request.app[CTX].ledger, _tenant(request), _day(request)
    return render(
        request,
        "receivables.html",
        day=today,
        ageing=await ledger.ageing(tenant, today),
        dso=await ledger.dso(tenant, today),
        due=await ledger.reminders_due(tenant, today),
        buckets=BUCKETS,
        issued=request.query.get("issued"),
    )


@routes.post("/ui/receivables/remind")
async def remind(request: web.Request) -> web.Response:
    _require_operator(request)
    ctx, today = request.app[CTX], _day(request)
    result = await reminder_job.run(
        ctx.ledger, ctx.settings, ctx.channel_types, _tenant(request), today, ctx.executor
    )
    log.info(
        "reminders issued from the dashboard",
        extra={"by": request[SESSION]["username"], "issued": result["issued"]},
    )
    raise web.HTTPSeeOther(f"/ui/receivables?date={today.isoformat()}&issued={result['issued']}")
