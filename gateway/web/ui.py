"""The finance dashboard at /ui/: server-rendered pages (jinja2, ``templates/ui``), no build step,
no external assets. Session cookie (HttpOnly, SameSite=Strict) after a password login; every form
that changes something carries the session's CSRF token; viewers read, operators act."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web

from ..ledger import DeliveryInFlight, now
from ..ledger.states import InvoiceStatus
from .context import CTX
from .svg import bar_chart

routes = web.RouteTableDef()
COOKIE = "fp_session"
SESSION = web.RequestKey("ui_session", dict)


@cache
def _templates():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fakturaport_templates", "ui"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = lambda v: (
        v.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else (v or "")
    )
    return env


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session = request.get(SESSION)
    html = _templates().get_template(name).render(session=session, path=request.path, **context)
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@web.middleware
async def ui_session(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/ui") or request.path in ("/ui/login", "/ui/static/style.css"):
        return await handler(request)
    token = request.cookies.get(COOKIE)
    session = await request.app[CTX].ledger.session(token) if token else None
    if session is None:
        raise web.HTTPSeeOther("/ui/login")
    request[SESSION] = session
    if request.method == "POST":
        form = await request.post()
        if form.get("csrf") != session["csrf"]:
            raise web.HTTPForbidden(
                text="the form is stale or forged (CSRF check failed); reload the page"
            )
    return await handler(request)


def _tenant(request: web.Request) -> str:
    return request[SESSION]["tenant_id"]


def _require_operator(request: web.Request) -> None:
    if request[SESSION]["role"] != "operator":
        raise web.HTTPForbidden(text="your role is read-only")


@routes.get("/ui/static/style.css")
async def style(request: web.Request) -> web.Response:
    css = resources.files("fakturaport_templates").joinpath("ui/style.css").read_text("utf-8")
    return web.Response(
        text=css, content_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


@routes.get("/ui/login")
async def login_form(request: web.Request) -> web.Response:
    return render(request, "login.html", error=None)


@routes.post("/ui/login")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    result = await request.app[CTX].ledger.login(
        str(form.get("username", "")), str(form.get("password", ""))
    )
    if result is None:
        return render(request, "login.html", status=401, error="Wrong username or password.")
    token, _ = result
    response = web.HTTPSeeOther("/ui/")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/ui",
        max_age=12 * 3600,
    )
    raise response


@routes.post("/ui/logout")
async def logout(request: web.Request) -> web.Response:
    await request.app[CTX].ledger.logout(request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/ui/login")
    response.del_cookie(COOKIE, path="/ui")
    raise response


@routes.get("/ui/")
async def overview(request: web.Request) -> web.Response:
    ledger, tenant = request.app[CTX].ledger, _tenant(request)
    today = datetime.combine(now().date(), time(), tzinfo=UTC)
    month = today.replace(day=1)
    return render(
        request,
        "overview.html",
        today=await ledger.dashboard_counts(tenant, today),
        month=await ledger.dashboard_counts(tenant, month),
        check=await ledger.reconciliation(tenant),
        failures=(await ledger.failure_queue(tenant, limit=8)),
        chart=bar_chart(await ledger.daily_series(tenant, 14)),
        statuses=[s.value for s in InvoiceStatus],
    )


def _filters(request: web.Request) -> dict[str, Any]:
    q = request.query

    def day(name: str) -> datetime | None:
        try:
            return (
                datetime.combine(date.fromisoformat(q[name]), time(), tzinfo=UTC)
                if q.get(name)
                else None
            )
        except ValueError:
            return None

    def amount(name: str) -> Decimal | None:
        try:
            return Decimal(q[name].replace(" ", "").replace(",", ".")) if q.get(name) else None
        except InvalidOperation:
            return None

    until = day("until")
    return {
        "status": q.get("status") or None,
        "channel": q.get("channel") or None,
        "query": q.get("q") or None,
        "recipient": q.get("recipient") or None,
        "amount_min": amount("min"),
        "amount_max": amount("max"),
        "sort": q.get("sort") if q.get("sort") in SORTS else None,
        "since": day("since"),
        "until": until + timedelta(days=1) if until else None,
        "cursor": q.get("cursor") or None,
    }


#: Sortable columns of the invoice list (a leading "-" sorts descending).
SORTS = {
    f"{sign}{key}"
    for key in ("number", "buyer", "amount", "due", "status", "created")
    for sign in ("", "-")
}


@routes.get("/ui/invoices")
async def invoices(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    filters = _filters(request)
    if request.query.get("format") == "csv":
        return await _csv(request, filters)
    try:
        rows, cursor = await ctx.ledger.list_invoices(_tenant(request), limit=50, **filters)
    except ValueError:
        rows, cursor = await ctx.ledger.list_invoices(
            _tenant(request), limit=50, **{**filters, "cursor": None}
        )
    query = {k: v for k, v in request.query.items() if k != "cursor"}
    return render(
        request,
        "invoices.html",
        rows=rows,
        cursor=cursor,
        query=query,
        channels=sorted(ctx.channel_types),
        statuses=[s.value for s in InvoiceStatus],
    )


async def _csv(request: web.Request, filters: dict[str, Any]) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "id",
            "number",
            "buyer",
            "currency",
            "amount",
            "due_date",
            "status",
            "channel",
            "overdue",
            "created_at",
        ]
    )
    cursor = None
    while True:
        rows, cursor = await request.app[CTX].ledger.list_invoices(
            _tenant(request), limit=200, **{**filters, "cursor": cursor}
        )
        for r in rows:
            writer.writerow(
                [
                    r["id"],
                    r["number"],
                    r["buyer_name"],
                    r["currency"],
                    r["payable"],
                    r["due_date"],
                    r["status"],
                    r["current_channel"],
                    r["overdue"],
                    r["created_at"].isoformat(),
                ]
            )
        if cursor is None:
            break
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
    )


@routes.get("/ui/invoices/{id}")
async def invoice_detail(request: web.Request) -> web.Response:
    ctx, tenant = request.app[CTX], _tenant(request)
    row = await ctx.ledger.get_invoice(tenant, request.match_info["id"])
    if row is None:
        raise web.HTTPNotFound(text="no such invoice")
    events = await ctx.ledger.events(tenant, row["id"])
    evidence = await ctx.ledger.evidence(tenant, row["id"])
    documents = [
        kind
        for kind in ("original", "ubl", "pdf", "svefaktura", "cii")
        if await ctx.ledger.document(tenant, row["id"], kind)
    ]
    return render(
        request,
        "invoice.html",
        inv=row,
        events=events,
        evidence=evidence,
        documents=documents,
        channels=sorted(ctx.channel_types),
    )


@routes.get("/ui/invoices/{id}/documents/{kind}")
async def invoice_document(request: web.Request) -> web.Response:
    doc = await request.app[CTX].ledger.document(
        _tenant(request), request.match_info["id"], request.match_info["kind"]
    )
    if doc is None:
        raise web.HTTPNotFound(text="no such document")
    return web.Response(
        body=doc["content"],
        content_type=doc["media_type"].split(";")[0],
        headers={"Content-Disposition": f'inline; filename="{doc["filename"] or "document"}"'},
    )


@routes.get("/ui/invoices/{id}/evidence/{evidence_id}")
async def invoice_evidence(request: web.Request) -> web.Response:
    items = await request.app[CTX].ledger.evidence(_tenant(request), request.match_info["id"])
    item = next((e for e in items if str(e["id"]) == request.match_info["evidence_id"]), None)
    if item is None:
        raise web.HTTPNotFound(text="no such evidence")
    return web.Response(
        body=item["content"],
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{item["kind"]}-{item["id"]}"'},
    )


@routes.post("/ui/invoices/{id}/retry")
async def ui_retry(request: web.Request) -> web.Response:
    _require_operator(request)
    invoice_id = request.match_info["id"]
    await request.app[CTX].ledger.retry(
        _tenant(request), invoice_id, now(), actor=request[SESSION]["username"]
    )
    raise web.HTTPSeeOther(f"/ui/invoices/{invoice_id}")


@routes.post("/ui/invoices/{id}/redirect")
async def ui_redirect(request: web.Request) -> web.Response:
    _require_operator(request)
    form = await request.post()
    channel = str(form.get("channel", ""))
    if channel not in request.app[CTX].channel_types:
        raise web.HTTPBadRequest(text="choose a configured channel")
    invoice_id = request.match_info["id"]
    try:
        await request.app[CTX].ledger.retry(
            _tenant(request), invoice_id, now(), channel=channel, actor=request[SESSION]["username"]
        )
    except DeliveryInFlight as exc:
        raise web.HTTPConflict(
            text=f"Not redirected: {exc}. Try again once it has ended, so that the invoice is not delivered twice."
        ) from None
    raise web.HTTPSeeOther(f"/ui/invoices/{invoice_id}")


@routes.post("/ui/invoices/{id}/handled")
async def ui_handled(request: web.Request) -> web.Response:
    _require_operator(request)
    form = await request.post()
    invoice_id = request.match_info["id"]
    await request.app[CTX].ledger.mark_handled(
        _tenant(request),
        invoice_id,
        request[SESSION]["username"],
        str(form.get("comment", ""))[:1000],
    )
    raise web.HTTPSeeOther("/ui/failures")


@routes.get("/ui/failures")
async def failures(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    return render(
        request,
        "failures.html",
        rows=await ctx.ledger.failure_queue(_tenant(request)),
        channels=sorted(ctx.channel_types),
    )


@routes.get("/ui/inbox")
async def inbox(request: web.Request) -> web.Response:
    return render(
        request, "inbox.html", rows=await request.app[CTX].ledger.list_inbox(_tenant(request))
    )
