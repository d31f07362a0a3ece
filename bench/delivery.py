"""Deliveries per second through the spool channel, next to writing the same files bare.

A ledger on SQLite (or, with --postgres, a fresh PostgreSQL database) holds N accepted invoices;
one worker (the settings' concurrency) claims, sends and records them until all are delivered.
Each delivery writes the UBL document and a receipt, both fsynced, then records the outcome
(delivery, invoice, evidence, event). The reference writes the same two files per invoice the
same way (fsync each, rename, one folder fsync per batch), with no ledger and no worker: the
floor for any spool delivery on this disk.
Prints deliveries/s and the worker process's CPU per delivery (user + system).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.intake import bodies, create_postgres_db, drop_postgres_db
from channels.spool import SpoolChannel
from gateway.channels import build_channels
from gateway.ledger import Ledger, RenderedDocument
from gateway.settings import load_settings
from gateway.worker import Worker
from tests.ledger_samples import acceptance


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def accept(ledger: Ledger, count: int) -> None:
    tenant, _ = await ledger.create_tenant("bench")

    async def one(number: str, body: bytes) -> None:
        documents = (
            RenderedDocument("original", "application/json", body),
            RenderedDocument("ubl", "application/xml", body, f"{number}.xml"),
        )
        await ledger.accept(acceptance(tenant.id, number, documents=documents))

    await asyncio.gather(*(one(number, body) for number, body in bodies(count, "D")))


def receipts(folder: Path) -> int:
    if not folder.exists():
        return 0
    return sum(1 for entry in os.scandir(folder) if entry.name.endswith(".receipt.json"))


async def worker_rate(data: Path, count: int, database_url: str | None) -> tuple[float, float]:
    """Deliveries/s and CPU ms per delivery of one worker delivering ``count`` invoices."""
    data.mkdir(parents=True)
    env = {**os.environ, "FAKTURAPORT_DATA_DIR": str(data)}
    if database_url:
        env["FAKTURAPORT_DATABASE_URL"] = database_url
    settings = load_settings(None, env)
    ledger = await Ledger.open(settings.db_url)
    await accept(ledger, count)
    worker = Worker(ledger, build_channels(settings), settings)
    spool = data / "spool"
    start, cpu = time.perf_counter(), cpu_seconds()
    running = asyncio.create_task(worker.run())
    while receipts(spool) < count:
        await asyncio.sleep(0.05)
    elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
    await worker.stop()
    running.cancel()
    await ledger.aclose()
    return count / elapsed, used / count * 1000


def bare_rate(folder: Path, count: int, batch: int) -> tuple[float, float]:
    """The same files written the spool's way, without ledger or worker."""
    channel = SpoolChannel(folder)
    body = bodies(1, "B")[0][1]
    start, cpu = time.perf_counter(), cpu_seconds()
    for first in range(0, count, batch):
        channel.write_batch(
            [
                ((f"m{n}.xml", body), (f"m{n}.receipt.json", b'{"receipt": true}'))
                for n in range(first, min(first + batch, count))
            ]
        )
    elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
    return count / elapsed, used / count * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument(
        "--postgres", action="store_true", help="the ledger on a fresh PostgreSQL database"
    )
    args = parser.parse_args()
    settings = load_settings(None)
    database_url = create_postgres_db() if args.postgres else None
    if database_url:
        atexit.register(drop_postgres_db, database_url)
    with tempfile.TemporaryDirectory(prefix="fp-delivery-") as tmp:
        rate, cpu = await worker_rate(Path(tmp) / "gateway", args.count, database_url)
        bare, bare_cpu = bare_rate(Path(tmp) / "bare", args.count, settings.worker.batch)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"spool delivery, {backend} ledger, one worker ({settings.worker.concurrency} in flight),"
        f" {args.count} invoices (CPU: this process's, not the database server's)"
    )
    print(f"  worker       {rate:8.0f} deliveries/s   {cpu:5.2f} ms CPU per delivery")
    print(f"  bare files   {bare:8.0f} deliveries/s   {bare_cpu:5.2f} ms CPU per delivery")
    print(f"  worker/bare  {rate / bare:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
