"""Webhooks: signed per Standard Webhooks, delivered from the outbox to a real HTTP receiver."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from aiohttp.test_utils import TestServer

from formats.jsoncodec import dumps
from gateway.notify import verify
from tests.acceptance.conftest import auth
from tests.svefaktura_samples import invoice


async def test_accepted_and_delivered_events_arrive_signed(gateway):
    received: list[tuple[dict, bytes]] = []
    attempts = {"n": 0}

    async def hook(request: web.Request) -> web.Response:
        attempts["n"] += 1
        if attempts["n"] == 1:
            return web.Response(status=503)  # the ERP is briefly down: the outbox retries
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    receiver = TestServer(app)
    await receiver.start_server()
    try:
        r = await gateway.post(
            "/v1/webhooks",
            json={
                "url": str(receiver.make_url("/hook")),
                "events": ["invoice.accepted", "invoice.delivered"],
            },
            headers=auth(gateway.key),
        )
        secret = (await r.json())["secret"]
        await gateway.post(
            "/v1/invoices",
            data=dumps(invoice()),
            headers=auth(gateway.key, **{"Content-Type": "application/json"}),
        )
        for _ in range(300):
            if len(received) >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await receiver.close()
    types = sorted(json.loads(body)["type"] for _, body in received)
    assert types == ["invoice.accepted", "invoice.delivered"]
    for headers, body in received:
        lower = {k.lower(): v for k, v in headers.items()}
        assert verify(secret, lower, body)
        assert not verify(secret, lower, body + b" "), "a changed body fails verification"
    # the pull feed has the same events for ERPs without a webhook endpoint
    feed = await (await gateway.get("/v1/events?after=0", headers=auth(gateway.key))).json()
    assert {"invoice.accepted", "invoice.delivered"} <= {e["type"] for e in feed["items"]}
