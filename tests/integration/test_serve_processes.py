"""`fakturaport serve --processes 2`: two processes share the port, both accept and deliver, the
once-per-deployment jobs (here a bounce receiver on its own port) run in one of them, SIGTERM
stops them all, and none outlives a parent killed with SIGKILL."""

from __future__ import annotations

import asyncio
import json
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


def _start(env: dict[str, str], *options: str, log: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--processes", "2", *options],
        env=env,
        cwd=ROOT,
        stderr=log.open("w") if log else subprocess.PIPE,
        text=True,
    )


def _delivering_processes(log: Path) -> set[int]:
    """The processes whose workers logged a delivery (a worker's name is host-pid-suffix)."""
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return {int(e["worker"].split("-")[-2]) for e in entries if e["message"] == "delivered"}


async def test_two_processes_accept_and_deliver_and_stop_together(tmp_path):
    port, bounce_port = _free_port(), _free_port()
    # Two deliveries in flight per process, so that no one process claims everything.
    env = {
        **_env(tmp_path, port),
        "FAKTURAPORT_LOG_LEVEL": "INFO",
        "FAKTURAPORT_WORKER_CONCURRENCY": "2",
    }
    # An email channel with a bounce receiver: a port only one process can listen on.
    config = tmp_path / "fakturaport.toml"
    config.write_text(
        f"""
default_plan = ["spool"]
[channels.spool]
[channels.email]
host = "127.0.0.1"
port = {_free_port()}
from_address = "faktura@multi.example"
bounce_domain = "bounce.multi.example"
bounce_listen = "127.0.0.1:{bounce_port}"
"""
    )
    key = create_tenant(env, "multi")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = _start(env, "--config", str(config), log=log)
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_up(session, base)
            children = _children(server.pid)
            assert len(children) == 2

            async def post(n: int) -> int:
                body = dumps(replace(invoice(), number=f"MP-{n}"))
                async with session.post(f"{base}/v1/invoices", data=body, headers=headers) as r:
                    return r.status

            for wave in range(8):  # invoices keep coming while both workers poll
                batch = range(wave * 5, wave * 5 + 5)
                assert await asyncio.gather(*(post(n) for n in batch)) == [202] * 5
                await asyncio.sleep(0.1)
            for _ in range(200):
                async with session.get(f"{base}/v1/reports/reconciliation", headers=headers) as r:
                    report = await r.json()
                if report["delivered"] == 40:
                    break
                await asyncio.sleep(0.05)
            assert report["accepted"] == report["delivered"] == 40, report
            _, writer = await asyncio.open_connection("127.0.0.1", bounce_port)
            writer.close()
        assert _children(server.pid) == children, "both processes still serve"
        assert _delivering_processes(log) == set(children), "each process delivers its share"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, log.read_text()[-3000:]
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
