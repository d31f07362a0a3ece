"""Crash safety: a real `fakturaport serve` is killed with SIGKILL under load and restarted.

Every invoice that got a 202 must end delivered, exactly once: one spool file per invoice (the
spool names files by the delivery's stable message id, so a resend after a crash replaces its own
file rather than adding a second one) and no file for an invoice that was never accepted.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from formats.jsoncodec import dumps
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "FAKTURAPORT_DATA_DIR": str(data_dir),
        "FAKTURAPORT_LISTEN": f"127.0.0.1:{port}",
        "FAKTURAPORT_POLL_SECONDS": "0.05",
        "FAKTURAPORT_LEASE_SECONDS": "2",  # deliveries leased by a killed server return quickly
        "FAKTURAPORT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def create_tenant(env: dict[str, str], name: str) -> str:
    """A tenant made by the CLI, as an operator would; its API key."""
    created = subprocess.run(
        [sys.executable, "-m", "gateway", "tenant", "create", name],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.split("store it now): ")[1].strip()


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
    )


async def _wait_up(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(200):
        try:
            async with session.get(f"{base}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("server did not come up")


async def _post_until_answered(session, base, key, number: str, accepted: dict[str, str]) -> None:
    body = dumps(replace(invoice(), number=number))
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Idempotency-Key": number,
    }
    while True:  # an ERP retries with the same key until it gets an answer
        try:
            async with session.post(f"{base}/v1/invoices", data=body, headers=headers) as r:
                if r.status in (200, 202):
                    accepted[number] = (await r.json())["id"]
                    return
                assert r.status >= 500, await r.text()
        except (TimeoutError, aiohttp.ClientError):
            pass
        await asyncio.sleep(0.05)


async def test_sigkill_under_load_loses_nothing_and_duplicates_nothing(tmp_path):
    port = _free_port()
    env = _env(tmp_path, port)
    key = create_tenant(env, "crashco")
    base = f"http://127.0.0.1:{port}"
    accepted: dict[str, str] = {}
    server = _start(env)
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await _wait_up(session, base)
        numbers = [f"CRASH-{n:04d}" for n in range(150)]
        semaphore = asyncio.Semaphore(8)

        async def one(number: str) -> None:
            async with semaphore:
                await _post_until_answered(session, base, key, number, accepted)

        load = asyncio.gather(*(one(n) for n in numbers))
        for _ in range(3):
            await asyncio.sleep(0.8)
            server.send_signal(signal.SIGKILL)
            server.wait()
            server = _start(env)
            await _wait_up(session, base)
        await load
        try:
            for _ in range(600):
                async with session.get(
                    f"{base}/v1/reports/reconciliation", headers={"Authorization": f"Bearer {key}"}
                ) as r:
                    report = await r.json()
                if report["delivered"] == len(accepted):
                    break
                await asyncio.sleep(0.05)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    assert len(accepted) == len(numbers)
    assert report["accepted"] == report["delivered"] == len(accepted), report
    receipts = [json.loads(p.read_text()) for p in (tmp_path / "spool").glob("*.receipt.json")]
    spooled = {r["invoice_id"] for r in receipts}
    assert spooled == set(accepted.values()), "one spool delivery per accepted invoice, none extra"
    assert len(list((tmp_path / "spool").glob("*.xml"))) == len(accepted)
