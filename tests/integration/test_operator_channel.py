"""The operator channel against a real local HTTP server and a real local SFTP server."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web

from channels import (
    Address,
    DeliveryTimeout,
    Document,
    Envelope,
    LocalConfigurationError,
    RateLimited,
    RemoteRejected,
    RemoteUnavailable,
)
from channels.operator import build, parse_acknowledgements
from channels.operator_sftp import collect_acknowledgements
from tests.sftp_server import sftp_server as serve_sftp


def _envelope(operator: str = "van") -> Envelope:
    return Envelope(
        delivery_id="d-1",
        invoice_id="i-1",
        tenant_id="t-1",
        attempt=1,
        message_id="msg-0001",
        sender=Address(peppol_id="0007:5565624223"),
        recipient=Address(operator=operator),
        documents=(
            Document(kind="svefaktura", media_type="application/xml", content=b"<Invoice/>"),
        ),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def operator_server():
    """An operator API whose answer each test scripts; it records what it received."""
    state = {"status": 201, "headers": {}, "body": b'{"id": "OP-42"}', "delay": 0.0, "received": []}

    async def receive(request: web.Request) -> web.Response:
        state["received"].append((dict(request.headers), await request.read()))
        await asyncio.sleep(state["delay"])
        return web.Response(
            status=state["status"],
            body=state["body"],
            headers=state["headers"],
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_post("/invoices", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state["url"] = f"http://127.0.0.1:{port}/invoices"
    yield state
    await runner.cleanup()


def _http_channel(url: str, timeout: float = 5):
    return build(
        {
            "operators": {
                "van": {"transport": "http", "url": url, "token": "s3cret", "timeout": timeout}
            }
        }
    )


async def test_http_hand_off_returns_the_operators_id_as_receipt(operator_server):
    receipt = await _http_channel(operator_server["url"]).send(_envelope())
    assert receipt.remote_id == "OP-42"
    assert receipt.evidence[0].content.startswith(b"HTTP/1.1 201")
    headers, body = operator_server["received"][0]
    assert body == b"<Invoice/>"
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["Idempotency-Key"] == "msg-0001"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, RemoteRejected),
        (422, RemoteRejected),
        (503, RemoteUnavailable),
        (408, RemoteUnavailable),
    ],
)
async def test_http_status_decides_transient_or_permanent(operator_server, status, error):
    operator_server["status"] = status
    with pytest.raises(error) as raised:
        await _http_channel(operator_server["url"]).send(_envelope())
    assert raised.value.evidence, "the operator's answer is kept as evidence"


async def test_rate_limit_carries_retry_after(operator_server):
    operator_server.update(status=429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as raised:
        await _http_channel(operator_server["url"]).send(_envelope())
    assert raised.value.retry_after == 120


async def test_slow_operator_times_out_transiently(operator_server):
    operator_server["delay"] = 2
    with pytest.raises(DeliveryTimeout):
        await _http_channel(operator_server["url"], timeout=0.3).send(_envelope())


async def test_unreachable_operator_is_transient():
    with pytest.raises(RemoteUnavailable):
        await _http_channel(f"http://127.0.0.1:{_free_port()}/x").send(_envelope())


def test_unknown_operator_and_bad_settings_are_configuration_errors():
    with pytest.raises(LocalConfigurationError):
        build({"operators": {"van": {"transport": "carrier-pigeon"}}})
    with pytest.raises(LocalConfigurationError):
        build({"operators": {"van": {"transport": "http"}}})
    channel = build({"operators": {"van": {"transport": "http", "url": "http://x"}}})
    with pytest.raises(LocalConfigurationError):
        channel.operator_for(_envelope(operator="other"))


@pytest.fixture
async def sftp_server(tmp_path):
    root = tmp_path / "sftp"
    (root / "in").mkdir(parents=True)
    (root / "ack").mkdir()
    async with serve_sftp(root) as port:
        yield {"port": port, "root": root}


def _sftp_config(port: int, password: str = "pw") -> dict:
    return {
        "transport": "sftp",
        "host": "127.0.0.1",
        "port": port,
        "username": "fakturaport",
        "password": password,
        "known_hosts": "none",
        "remote_dir": "/in",
        "ack_dir": "/ack",
    }


async def test_sftp_upload_is_pending_until_the_acknowledgement(sftp_server):
    channel = build({"operators": {"van": _sftp_config(sftp_server["port"])}})
    receipt = await channel.send(_envelope())
    assert receipt.pending_confirmation
    assert (sftp_server["root"] / "in" / "msg-0001.xml").read_bytes() == b"<Invoice/>"
    assert not list((sftp_server["root"] / "in").glob("*.part"))

    (sftp_server["root"] / "ack" / "ack-1.csv").write_text(
        "message_id;status;reason\nmsg-0001;OK;\nmsg-0002;REJECTED;Okänd mottagare\n"
    )
    files = await collect_acknowledgements(channel.operators["van"])
    acks = [a for _, content in files for a in parse_acknowledgements(content)]
    assert [(a.message_id, a.accepted, a.reason) for a in acks] == [
        ("msg-0001", True, ""),
        ("msg-0002", False, "Okänd mottagare"),
    ]
    assert (sftp_server["root"] / "ack" / "processed" / "ack-1.csv").exists()
    assert await collect_acknowledgements(channel.operators["van"]) == []  # imported once


async def test_sftp_bad_login_is_our_configuration_error(sftp_server):
    channel = build({"operators": {"van": _sftp_config(sftp_server["port"], password="wrong")}})
    with pytest.raises(LocalConfigurationError):
        await channel.send(_envelope())


async def test_sftp_server_down_is_transient():
    channel = build({"operators": {"van": _sftp_config(_free_port())}})
    with pytest.raises(RemoteUnavailable):
        await channel.send(_envelope())
