"""`fakturaport serve --processes 2`: two processes share the port, both accept, one delivers,
SIGTERM stops them all, and none outlives a parent killed with SIGKILL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from formats.jsoncodec import dumps
from tests.integration.test_crash import ROOT, _env, _free_port, _wait_up, create_tenant
from tests.svefaktura_samples import invoice

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--processes", "2"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_two_processes_accept_and_deliver_and_stop_together(tmp_path):
    port = _free_port()
    env = _env(tmp_path, port)
    key = create_tenant(env, "multi")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    base = f"http://127.0.0.1:{port}"
    server = _start(env)
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_up(session, base)
            assert len(_children(server.pid)) == 2

            async def post(n: int) -> int:
                body = dumps(replace(invoice(), number=f"MP-{n}"))
                async with session.post(f"{base}/v1/invoices", data=body, headers=headers) as r:
                    return r.status

            assert await asyncio.gather(*(post(n) for n in range(40))) == [202] * 40
            for _ in range(200):
                async with session.get(f"{base}/v1/reports/reconciliation", headers=headers) as r:
                    report = await r.json()
                if report["delivered"] == 40:
                    break
                await asyncio.sleep(0.05)
            assert report["accepted"] == report["delivered"] == 40, report
        children = _children(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, server.stderr.read()
        assert not any(_alive(c) for c in children)
    finally:
        if server.poll() is None:
            server.kill()


async def test_no_process_outlives_a_killed_parent(tmp_path):
    port = _free_port()
    server = _start(_env(tmp_path, port))
    async with aiohttp.ClientSession() as session:
        await _wait_up(session, f"http://127.0.0.1:{port}")
    children = _children(server.pid)
    assert len(children) == 2
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 20
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not any(_alive(c) for c in children)
