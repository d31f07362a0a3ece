"""The composition root: ``create_app(settings)`` wires ledger, channels, worker and web routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from aiohttp import web

from channels import Channel

from .. import mls, notify, signals, watchdog
from ..channels import build_channels, channel_type
from ..intake import Problem
from ..ledger import Ledger, statistics
from ..receivables import reminder_job
from ..settings import Settings
from ..worker import Worker
from . import api, as4, lookup, receivables_api, reminders_api, ui, ui_receivables
from .context import CTX, REQUEST_ID, SETTINGS, TENANT, WORKER, AppContext
from .metrics import Metrics
from .openapi import document as openapi_document
from .problems import problem_response, problems_middleware

log = logging.getLogger("fakturaport.web")
_PUBLIC = (
    "/v1/openapi.json",
    "/v1/schema/invoice.json",
)  # /as4 is outside /v1: AS4 authenticates by signature


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    request[REQUEST_ID] = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    response = await handler(request)
    response.headers["X-Request-Id"] = request[REQUEST_ID]
    return response


@web.middleware
async def bearer_auth(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith("/v1/") or request.path in _PUBLIC:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return problem_response(
            Problem(
                401,
                "Unauthorized",
                "send the tenant API key as 'Authorization: Bearer <key>'",
                kind="/problems/unauthorized",
            ),
            headers={"WWW-Authenticate": 'Bearer realm="fakturaport"'},
        )
    tenant = await request.app[CTX].ledger.tenant_for_key(key.strip())
    if tenant is None:
        return problem_response(
            Problem(401, "Unauthorized", "the API key is not valid", kind="/problems/unauthorized"),
            headers={"WWW-Authenticate": 'Bearer realm="fakturaport", error="invalid_token"'},
        )
    request[TENANT] = tenant
    return await handler(request)


async def healthz(request: web.Request) -> web.Response:
    ctx: AppContext = request.app[CTX]
    try:
        await ctx.ledger.reconciliation("-")  # a cheap query: the database answers
    except Exception as exc:
        return web.json_response(
            {"status": "unhealthy", "database": type(exc).__name__}, status=503
        )
    return web.json_response({"status": "ok", "worker": request.app.get(WORKER) is not None})


async def metrics(request: web.Request) -> web.Response:
    ctx: AppContext = request.app[CTX]
    counts = await ctx.ledger.status_counts()
    for status, n in counts.items():
        ctx.metrics.invoices.labels(status).set(n)
    return web.Response(body=ctx.metrics.render(), content_type="text/plain", charset="utf-8")


async def to_dashboard(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ui/")


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app))


def create_app(
    settings: Settings,
    *,
    run_worker: bool = True,
    run_jobs: bool = True,
    ledger: Ledger | None = None,
) -> web.Application:
    """The gateway's app. ``run_worker``: this process delivers (any number may: claims are
    leased). ``run_jobs``: this process runs the jobs a deployment needs once, not once per
    process: webhooks, the watchdog, acknowledgement and MLS polling, reminders, the bounce
    receiver and mailbox, and on PostgreSQL the analysis of young tables."""
    app = web.Application(
        middlewares=[request_context, problems_middleware, bearer_auth, ui.ui_session],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app.router.add_routes(api.routes)
    app.router.add_routes(reminders_api.routes)
    app.router.add_routes(receivables_api.routes)
    app.router.add_routes(lookup.routes)
    app.router.add_routes(as4.routes)
    app.router.add_post("/as4", as4.receive)
    app.router.add_routes(ui.routes)
    app.router.add_routes(ui_receivables.routes)
    app.router.add_get("/", to_dashboard)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/v1/openapi.json", openapi)

    async def lifecycle(app: web.Application):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        own_ledger = ledger is None
        led = ledger or await Ledger.open(settings.db_url)
        channels = build_channels(settings)
        executor = (
            ProcessPoolExecutor(max_workers=2)
            if any(channel_type(settings, n) in ("email", "print") for n in channels)
            or settings.receivables.reminders_every_seconds > 0
            else None
        )
        app[CTX] = AppContext(
            settings=settings,
            ledger=led,
            channels=channels,
            channel_types={name: channel_type(settings, name) for name in channels},
            metrics=Metrics(),
            executor=executor,
        )
        tasks: list[asyncio.Task] = []
        bounce_server = None
        if run_jobs:
            tasks, bounce_server = await _start_jobs(led, settings, channels, app[CTX], executor)
        worker = None
        if run_worker:
            worker = Worker(led, channels, settings)
            app[WORKER] = worker
            tasks.append(asyncio.create_task(worker.run()))
        yield
        if worker is not None:
            await worker.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await signals.stop(bounce_server)
        for channel in channels.values():
            await channel.aclose()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if own_ledger:
            await led.aclose()

    app.cleanup_ctx.append(lifecycle)
    return app


async def _start_jobs(
    led: Ledger,
    settings: Settings,
    channels: dict[str, Channel],
    ctx: AppContext,
    executor: ProcessPoolExecutor | None,
) -> tuple[list[asyncio.Task], Any]:
    """The once-per-deployment jobs as tasks, and the bounce receiver when one is configured."""
    tasks = [
        asyncio.create_task(notify.run(led, settings.webhook_timeout)),
        asyncio.create_task(watchdog.run(led, settings)),
        asyncio.create_task(
            signals.poll_acknowledgements(led, channels, settings.ack_poll_seconds)
        ),
    ]
    if led.engine.dialect.name == "postgresql":
        tasks.append(asyncio.create_task(statistics.keep_analysed(led.engine)))
    for name, channel in channels.items():
        if channel_type(settings, name) == "peppol":
            tasks.append(
                asyncio.create_task(mls.run(led, channel, settings.worker.poll_seconds * 20))
            )
    if settings.receivables.reminders_every_seconds > 0:
        tasks.append(
            asyncio.create_task(
                reminder_job.run_periodically(led, settings, ctx.channel_types, executor)
            )
        )
    bounce_server = None
    for name, config in settings.channels.items():
        if channel_type(settings, name) == "email" and config.get("bounce_listen"):
            bounce_server = await signals.start_bounce_receiver(led, config["bounce_listen"])
        if channel_type(settings, name) == "email" and config.get("imap"):
            tasks.append(asyncio.create_task(signals.poll_bounce_mailbox(led, config["imap"])))
    return tasks, bounce_server
