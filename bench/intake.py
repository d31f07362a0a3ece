"""Intake throughput and latency over HTTP, next to the raw ledger enqueue rate in the same run.

This process is the client; the gateway runs as `fakturaport serve --processes N` (two processes,
one per core, unless told otherwise; SQLite by default, with --postgres a fresh PostgreSQL
database). Each process accepts and delivers (spool channel). With --worker-process the API
processes only accept (`serve --no-worker`) and one `fakturaport worker` at lower CPU priority
(nice 10) delivers: intake first, deliveries with what CPU is left. With --no-deliveries nothing
delivers: the intake's own capacity.
Prints accepted/s at full load with the server's CPU time per accepted invoice, how long the
deliveries took to catch up and the end-to-end rate (accepted and delivered), p50/p99 latency at
a paced 500/s, the server processes' RSS, the rate at which the ledger alone accepts the
same invoices, one at a time and group-committed, and the machine's speed at the time: one
invoice read, checked and rendered in a tight loop (runs from different days compare by it).
Targets (issue): >= 1,000 accepted/s; p99 < 50 ms at 500/s; RSS < 200 MB.

The full load comes from wrk (Debian package ``wrk``) when it is installed: it spends about
0.06 ms of CPU per request where the Python client below spends 0.25-0.4 ms, CPU the server
would otherwise have on these shared cores. Without wrk (or with --client python) the Python
client makes the full load too. The paced runs always use the Python client: it sends on a
fixed schedule whatever the responses do, so a slow response cannot hold the next ones back and
hide itself from the p99.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.lean_http import LeanConnection, encode_post  # noqa: E402
from formats.jsoncodec import dumps  # noqa: E402
from gateway.ledger import Ledger, RenderedDocument  # noqa: E402
from tests.ledger_samples import acceptance  # noqa: E402
from tests.svefaktura_samples import invoice  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_delivered(session: aiohttp.ClientSession, url: str, key: str) -> float:
    """Wait until every accepted invoice is delivered (the worker's backlog after a burst);
    the seconds it took."""
    start = time.perf_counter()
    headers = {"Authorization": f"Bearer {key}"}
    while time.perf_counter() - start < 300:
        async with session.get(f"{url}/v1/reports/reconciliation", headers=headers) as r:
            if (await r.json())["in_flight"] == 0:
                break
        await asyncio.sleep(0.5)
    return time.perf_counter() - start


async def wait_up(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with session.get(f"{url}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit(f"server at {url} did not start")


#: Every response status the benchmark saw (anything but 202 is reported).
RESPONSES: Counter[int] = Counter()


class Client:
    """Posts invoices over keep-alive connections (opened as needed, reused when idle)."""

    def __init__(self, url: str, key: str) -> None:
        parsed = urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.key = key
        self.latencies: list[float] = []
        self._idle: list[LeanConnection] = []

    def encode(self, number: str, body: bytes) -> bytes:
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/json",
            "Idempotency-Key": number,
        }
        return encode_post(f"{self.host}:{self.port}", "/v1/invoices", body, headers)

    async def post(self, raw: bytes) -> bool:
        conn = self._idle.pop() if self._idle else await LeanConnection.open(self.host, self.port)
        start = time.perf_counter()
        status, _ = await conn.request(raw)
        self.latencies.append(time.perf_counter() - start)
        RESPONSES[status] += 1
        self._idle.append(conn)
        return status == 202

    def close(self) -> None:
        for conn in self._idle:
            conn.close()


def bodies(count: int, tag: str) -> list[tuple[str, bytes]]:
    base = invoice()
    out = []
    for n in range(count):
        number = f"{tag}-{n:06d}"
        out.append((number, dumps(replace(base, number=number), indent=None)))
    return out


async def full_load(
    url: str, key: str, count: int, seconds: float, concurrency: int = 32
) -> tuple[float, int]:
    client = Client(url, key)
    work = iter([client.encode(n, b) for n, b in bodies(count, f"L{uuid.uuid4().hex[:6]}")])
    accepted = 0
    deadline = time.perf_counter() + seconds

    async def runner() -> None:
        nonlocal accepted
        for raw in work:
            if time.perf_counter() > deadline:
                return
            ok = await client.post(raw)
            accepted += ok  # not `accepted += await …`: that reads the counter before awaiting

    start = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    client.close()
    return accepted / elapsed, accepted


def full_load_wrk(
    url: str, key: str, seconds: float, work_dir: Path, connections: int = 32
) -> tuple[float, int]:
    """The same load as ``full_load`` made by wrk (bench/intake.lua): time-bounded only."""
    marker = "NUMBER-PLACEHOLDER"
    before, after = dumps(replace(invoice(), number=marker), indent=None).split(marker.encode())
    (work_dir / "before").write_bytes(before)
    (work_dir / "after").write_bytes(after)
    # One wrk thread: a second would take CPU from the server for no more requests.
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s"]
    command += ["-s", str(ROOT / "bench" / "intake.lua"), url, "--", key]
    command += [f"W{uuid.uuid4().hex[:6]}", str(work_dir / "before"), str(work_dir / "after")]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = next((line.split() for line in out.splitlines() if line.startswith("RESULT ")), None)
    if result is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    accepted, other, elapsed = int(result[1]), int(result[2]), float(result[3])
    RESPONSES[202] += accepted
    if other:
        RESPONSES[0] += other  # wrk counts them without their status: reported as "0"
    return accepted / elapsed, accepted


async def paced(url: str, key: str, rate: float, seconds: float) -> list[float]:
    client = Client(url, key)
    work = [client.encode(n, b) for n, b in bodies(int(rate * seconds), f"P{uuid.uuid4().hex[:6]}")]
    start = time.perf_counter()
    tasks = []
    for i, raw in enumerate(work):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(client.post(raw)))
    await asyncio.gather(*tasks)
    client.close()
    return client.latencies


async def raw_ledger_rate(url: str, count: int, concurrency: int) -> float:
    """Accepts/s straight into the ledger: ``concurrency`` callers at a time (1: no batching)."""
    ledger = await Ledger.open(url)
    tenant, _ = await ledger.create_tenant(f"raw-{uuid.uuid4().hex[:6]}")
    work = iter(bodies(count, f"R{uuid.uuid4().hex[:6]}"))

    async def caller() -> None:
        for number, body in work:
            documents = (RenderedDocument("original", "application/json", body),)
            await ledger.accept(acceptance(tenant.id, number, documents=documents))

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await ledger.aclose()
    return count / elapsed


def pipeline_microseconds(repeat: int = 300) -> float:
    """One invoice read from JSON, completed, checked against the rules and rendered as UBL, in
    a tight loop on one otherwise idle core: the machine's speed at this moment, for comparing
    runs made on different days (this development machine's cores vary by up to 2x)."""
    from formats.convert import write
    from formats.model import complete
    from formats.peppol.rules import check
    from gateway.intake import parse

    body = dumps(invoice(), indent=None)

    def once() -> None:
        source = parse(body, "application/json")
        completed = complete(source.invoice)
        check(replace(source, invoice=completed), rulesets=("en16931", "peppol"))
        write(completed, "ubl")

    once()
    best = min(timeit.repeat(once, number=repeat // 3, repeat=3)) / (repeat // 3)
    return best * 1e6


def process_tree(pid: int) -> list[int]:
    """The server's processes: itself and, with --processes, its forked children."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    return kids or [pid]


#: The server's maintenance database, where the benchmark's own databases are made and dropped.
_ADMIN_DSN = "host=127.0.0.1 user=postgres dbname=postgres"


def create_postgres_db() -> str:
    import psycopg

    name = f"fakturaport_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_postgres_db(url: str) -> None:
    """The database ``create_postgres_db`` made (tens of MB a run): at exit, whatever happened."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument(
        "--postgres", action="store_true", help="the server on a fresh PostgreSQL database"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="server processes (default: 2, one per core)"
    )
    who_delivers = parser.add_mutually_exclusive_group()
    who_delivers.add_argument(
        "--worker-process",
        action="store_true",
        help="deliver from a separate `fakturaport worker` at nice 10, not from the API processes",
    )
    who_delivers.add_argument(
        "--no-deliveries",
        action="store_true",
        help="intake alone: `serve --no-worker` and no worker (the invoices stay queued)",
    )
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="what makes the full load (default: wrk when installed)",
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="fp-bench-"))
    env = {
        **os.environ,
        "FAKTURAPORT_DATA_DIR": str(data),
        "FAKTURAPORT_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    processes = args.processes
    if args.postgres:
        env["FAKTURAPORT_DATABASE_URL"] = create_postgres_db()
        atexit.register(drop_postgres_db, env["FAKTURAPORT_DATABASE_URL"])
    created = subprocess.run(
        [sys.executable, "-m", "gateway", "tenant", "create", "bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.split("store it now): ")[1].strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--processes", str(processes)]
        + (["--no-worker"] if args.worker_process or args.no_deliveries else []),
        env={**env, "FAKTURAPORT_LISTEN": f"127.0.0.1:{port}"},
        stderr=subprocess.DEVNULL,
    )
    worker = (
        subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "-m", "gateway", "worker"],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        if args.worker_process
        else None
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_up(session, url)
        servers = process_tree(server.pid) + ([worker.pid] if worker is not None else [])
        cpu_before = cpu_seconds(servers)
        started = time.perf_counter()
        if args.client == "wrk":
            rate, accepted = full_load_wrk(url, key, args.seconds, data)
        else:
            rate, accepted = await full_load(url, key, args.count, args.seconds)
        load_seconds = time.perf_counter() - started
        load_cpu = cpu_seconds(servers) - cpu_before
        # Latency is measured in a steady state, not while the burst's deliveries are still
        # being made: the worker first catches up.
        catch_up = end_to_end = None
        if not args.no_deliveries:
            async with aiohttp.ClientSession() as session:
                catch_up = await wait_delivered(session, url, key)
            end_to_end = accepted / (time.perf_counter() - started)
        latencies = await paced(url, key, 500, min(args.seconds, 6))
        # Latency where the server keeps up: half the rate it reached at full load.
        comfortable = max(10.0, round(rate / 2, -1))
        if not args.no_deliveries:
            async with aiohttp.ClientSession() as session:
                await wait_delivered(session, url, key)
        easy = await paced(url, key, comfortable, min(args.seconds, 6))
        rss = [rss_mb(pid) for pid in process_tree(server.pid)]
        if worker is not None:
            rss.append(rss_mb(worker.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    raw_url = env.get("FAKTURAPORT_DATABASE_URL") or f"sqlite+aiosqlite:///{data / 'raw.db'}"
    pipeline = pipeline_microseconds()
    raw_single = await raw_ledger_rate(raw_url, 500, 1)
    raw = await raw_ledger_rate(raw_url, 3000, 32)
    ms = sorted(x * 1000 for x in latencies)
    easy_ms = sorted(x * 1000 for x in easy)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    if args.worker_process:
        topology = f"{processes} API process(es) + 1 worker process at nice 10"
    elif args.no_deliveries:
        topology = f"{processes} API process(es), no deliveries"
    else:
        topology = f"{processes} server process(es), each accepting and delivering"
    delivery = "" if args.no_deliveries else " and the spool delivery"
    print(
        f"intake over HTTP ({backend}, {topology}, 2 cores shared with this client;"
        f" includes validation, UBL rendering{delivery})"
    )
    client = "wrk" if args.client == "wrk" else "the Python client"
    print(
        f"  full load      {rate:8.0f} accepted/s ({accepted} invoices, {client})   target >= 1000/s"
    )
    print(
        f"                 server CPU {load_cpu / max(accepted, 1) * 1000:.2f} ms per accepted"
        f" invoice, {load_cpu / load_seconds:.2f} cores busy"
        f"{'' if args.no_deliveries else ' (deliveries included)'}"
    )
    if catch_up is not None and end_to_end is not None:
        print(f"                 all {accepted} delivered {catch_up:.1f} s after the load ended")
        print(f"  end to end     {end_to_end:8.0f} invoices/s accepted and delivered")
    print(
        f"  paced 500/s    p50 {statistics.median(ms):6.1f} ms   p99 {ms[int(len(ms) * 0.99) - 1]:6.1f} ms   target p99 < 50 ms"
    )
    print(
        f"  paced {comfortable:.0f}/s    p50 {statistics.median(easy_ms):6.1f} ms   p99 {easy_ms[int(len(easy_ms) * 0.99) - 1]:6.1f} ms   (half the full-load rate)"
    )
    print(f"  server RSS     {', '.join(f'{r:.0f} MB' for r in rss)}   target < 200 MB")
    print(
        f"  raw ledger     {raw:8.0f} accepts/s (32 callers, group commit, no HTTP)"
        f"   HTTP/raw = {rate / raw:4.2f}"
    )
    print(f"                 {raw_single:8.0f} accepts/s (one caller at a time)")
    print(
        f"  machine speed  {pipeline:8.0f} µs to read, check and render one invoice"
        " (tight loop, one idle core)"
    )
    print(f"  responses      {', '.join(f'{n} x {code}' for code, n in sorted(RESPONSES.items()))}")


if __name__ == "__main__":
    asyncio.run(main())
