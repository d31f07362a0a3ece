"""The independent AS4 peers of ``../shared/peers/as4``: their venv, a test PKI, and receivers
started per test with a chosen fail mode. Our access point is judged by them and judges them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[3].parent / "shared" / "peers" / "as4"


@dataclass(frozen=True)
class Kit:
    python: str
    pki: Path

    def seat(self, seat: str) -> dict[str, str]:
        """Our channel's identity settings for one seat of the test PKI."""
        return {
            "key_file": str(self.pki / f"{seat}.key.pem"),
            "cert_file": str(self.pki / f"{seat}.cert.pem"),
            "truststore": str(self.pki / "truststore.pem"),
        }

    def cert(self, seat: str) -> str:
        return str(self.pki / f"{seat}.cert.pem")


@pytest.fixture(scope="session")
def kit(tmp_path_factory) -> Kit:
    if not (KIT / "setup.sh").exists():
        pytest.skip(f"the AS4 peer kit is not at {KIT}")
    setup = subprocess.run(
        ["bash", str(KIT / "setup.sh")], capture_output=True, text=True, timeout=600
    )
    if setup.returncode != 0:
        pytest.fail(
            f"the AS4 peer kit could not be set up: {setup.stderr.strip().splitlines()[-1:]}"
        )
    python = setup.stdout.strip().splitlines()[-1]
    pki = tmp_path_factory.mktemp("as4") / "pki"
    subprocess.run(
        [python, str(KIT / "pki.py"), str(pki), "--seats", "3"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Kit(python, pki)


@pytest.fixture(scope="session")
def foreign_pki(kit, tmp_path_factory) -> Path:
    """A second PKI whose certificates our access point must not trust."""
    pki = tmp_path_factory.mktemp("as4-foreign") / "pki"
    subprocess.run(
        [kit.python, str(KIT / "pki.py"), str(pki), "--seats", "1"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return pki


@dataclass
class PeerReceiver:
    url: str
    inbox: Path
    log: Path

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


@pytest.fixture
def peer_receiver(kit, tmp_path) -> Iterator:
    """Start ``receiver.py`` (seat POP000002) with extra flags; stopped by its PID afterwards."""
    started: list[subprocess.Popen] = []

    def start(*flags: str) -> PeerReceiver:
        work = tmp_path / f"rx{len(started)}"
        work.mkdir()
        ready, log = work / "ready.json", work / "received.jsonl"
        proc = subprocess.Popen(
            [
                kit.python,
                str(KIT / "receiver.py"),
                "--pki",
                str(kit.pki),
                "--seat",
                "POP000002",
                "--inbox",
                str(work / "inbox"),
                "--port",
                "0",
                "--ready-file",
                str(ready),
                *flags,
            ],
            stdout=log.open("w"),
            stderr=(work / "stderr.txt").open("w"),
        )
        started.append(proc)
        deadline = time.monotonic() + 30
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"receiver.py did not start: {(work / 'stderr.txt').read_text()[-2000:]}"
                )
            time.sleep(0.05)
        return PeerReceiver(json.loads(ready.read_text())["url"], work / "inbox", log)

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def peer_send(
    kit: Kit,
    url: str,
    document: Path,
    *flags: str,
    impl: str = "as4",
    pki: Path | None = None,
    from_seat: str = "POP000001",
) -> tuple[int, list[dict]]:
    """Run ``send.py`` without blocking the event loop that serves our access point."""
    proc = await asyncio.create_subprocess_exec(
        kit.python,
        str(KIT / "send.py"),
        "--impl",
        impl,
        "--url",
        url,
        "--pki",
        str(pki or kit.pki),
        "--from-seat",
        from_seat,
        "--to-seat",
        "POP000002",
        "--receiver-cert",
        kit.cert("POP000002"),
        *flags,
        str(document),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    records = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    if proc.returncode == 2:
        pytest.fail(f"send.py usage error: {err.decode()[-2000:]}")
    return proc.returncode, records
