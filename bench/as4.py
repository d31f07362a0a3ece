"""AS4 messages per second on loopback, ours next to the independent ``as4`` peer in the same run.

Sending: build + sign + encrypt + POST + receipt verification of a Peppol BIS invoice, against
the kit's receiver (``../shared/peers/as4/receiver.py``, the same receiver for both senders).
Ours is timed end to end (one message at a time, then 16 in flight); the peer's ``send.py`` reports
its own build/post/verify times per message, so its process start-up is left out in its favour.

Receiving: the peer's sender against our POST /as4 (verify, decrypt, check, store in the SQLite
ledger, sign the receipt) and against the kit's receiver (verify, decrypt, write a file, sign).

Target (issue): >= 200 msg/s sending, and ahead of the peer.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp.test_utils import TestClient, TestServer

from channels import Address, Document, Envelope
from channels.peppol import build
from formats.peppol.ubl_write import write
from gateway.ledger import Ledger
from gateway.settings import Settings
from gateway.web.app import create_app
from tests.svefaktura_samples import invoice

KIT = Path(__file__).resolve().parents[2] / "shared" / "peers" / "as4"
BUYER, SELLER = "0007:5567321707", "0007:5560360793"
MESSAGES = 200


def kit_python() -> str:
    done = subprocess.run(
        ["bash", str(KIT / "setup.sh")], capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def start_receiver(python: str, pki: Path, work: Path) -> tuple[subprocess.Popen, str]:
    ready = work / "ready.json"
    proc = subprocess.Popen(
        [
            python,
            str(KIT / "receiver.py"),
            "--pki",
            str(pki),
            "--seat",
            "POP000002",
            "--inbox",
            str(work / "inbox"),
            "--port",
            "0",
            "--ready-file",
            str(ready),
            "--duplicates",
            "accept",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not ready.exists():
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())["url"]


def envelope(n: int, ubl: bytes) -> Envelope:
    return Envelope(
        delivery_id=f"d{n}",
        invoice_id=f"i{n}",
        tenant_id="t",
        attempt=1,
        message_id=f"{__import__('uuid').uuid4()}@bench",
        sender=Address(peppol_id=SELLER),
        recipient=Address(peppol_id=BUYER),
        documents=(
            Document(kind="ubl", media_type="application/xml", content=ubl, filename="invoice.xml"),
        ),
    )


async def ours_client_side(pki: Path, url: str) -> float:
    """Build + sign + encrypt, and verifying a real receipt: our own cost per message, no network."""
    import uuid

    from channels.peppol import as4_message, as4_signals, instance_id_of
    from formats.peppol.identifiers import BILLING_PROCESS, INVOICE_DOCUMENT_TYPE
    from formats.peppol.sbdh import wrap

    channel = build(
        {
            "key_file": str(pki / "POP000001.key.pem"),
            "cert_file": str(pki / "POP000001.cert.pem"),
            "truststore": str(pki / "truststore.pem"),
            "endpoints": {BUYER: {"url": url, "certificate": str(pki / "POP000002.cert.pem")}},
        }
    )
    endpoint = channel.endpoints[BUYER]
    ubl = write(invoice())

    def build_one() -> as4_message.Outgoing:
        message_id = f"{uuid.uuid4()}@bench"
        sbdh = wrap(
            ubl,
            sender=SELLER,
            receiver=BUYER,
            document_type_id=INVOICE_DOCUMENT_TYPE,
            country_c1="SE",
            instance_id=instance_id_of(message_id),
        )
        return as4_message.build(
            sbdh,
            identity=channel.identity,
            receiver_certificate=endpoint.certificate,
            receiver_seat=endpoint.seat,
            message_id=message_id,
            sender=SELLER,
            receiver=BUYER,
            document_type=INVOICE_DOCUMENT_TYPE,
            process=BILLING_PROCESS,
        )

    outgoing = build_one()
    content_type, receipt = await channel._post(
        url, outgoing
    )  # one real receipt to check over and over
    await channel.aclose()
    start = time.perf_counter()
    for _ in range(MESSAGES):
        build_one()
        as4_signals.read_answer(
            content_type, receipt, channel.identity, outgoing.references, outgoing.message_id
        )
    return MESSAGES / (time.perf_counter() - start)


async def ours_sending(pki: Path, url: str) -> tuple[float, float]:
    channel = build(
        {
            "key_file": str(pki / "POP000001.key.pem"),
            "cert_file": str(pki / "POP000001.cert.pem"),
            "truststore": str(pki / "truststore.pem"),
            "endpoints": {BUYER: {"url": url, "certificate": str(pki / "POP000002.cert.pem")}},
        }
    )
    ubl = write(invoice())
    try:
        for n in range(5):
            await channel.send(envelope(n, ubl))  # warm up
        start = time.perf_counter()
        for n in range(MESSAGES):
            await channel.send(envelope(n, ubl))
        sequential = MESSAGES / (time.perf_counter() - start)
        gate = asyncio.Semaphore(16)

        async def one(n: int) -> None:
            async with gate:
                await channel.send(envelope(n, ubl))

        start = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(MESSAGES)))
        concurrent = MESSAGES / (time.perf_counter() - start)
    finally:
        await channel.aclose()
    return sequential, concurrent


async def peer_send(
    python: str, pki: Path, url: str, document: Path, count: int, *, to_cert: Path
) -> list[dict]:
    proc = await asyncio.create_subprocess_exec(
        python,
        str(KIT / "send.py"),
        "--impl",
        "as4",
        "--url",
        url,
        "--pki",
        str(pki),
        "--from-seat",
        "POP000001",
        "--to-seat",
        "POP000002",
        "--receiver-cert",
        str(to_cert),
        *([str(document)] * count),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    records = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    failed = [r for r in records if not r.get("ok")]
    if failed:
        raise SystemExit(f"the peer's messages failed: {failed[0].get('error')}")
    return records


def per_second(records: list[dict], *fields: str) -> float:
    return 1000 / statistics.median(sum(r[f] for f in fields) for r in records)


async def ours_receiving(python: str, pki: Path, work: Path, document: Path) -> float:
    db = f"sqlite+aiosqlite:///{work / 'g.db'}"
    settings = Settings(
        data_dir=work,
        database_url=db,
        channels={
            "peppol": {
                "key_file": str(pki / "POP000002.key.pem"),
                "cert_file": str(pki / "POP000002.cert.pem"),
                "truststore": str(pki / "truststore.pem"),
            }
        },
    )
    ledger = await Ledger.open(db)
    await ledger.create_tenant("buyer", peppol_id=BUYER)
    client = TestClient(TestServer(create_app(settings, ledger=ledger), host="127.0.0.1"))
    await client.start_server()
    try:
        records = await peer_send(
            python,
            pki,
            str(client.make_url("/as4")),
            document,
            MESSAGES,
            to_cert=pki / "POP000002.cert.pem",
        )
    finally:
        await client.close()
        await ledger.aclose()
    return per_second(records, "post_ms")


async def main() -> None:
    python = kit_python()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pki = work / "pki"
        subprocess.run(
            [python, str(KIT / "pki.py"), str(pki), "--seats", "2"], check=True, capture_output=True
        )
        document = work / "invoice.xml"
        document.write_bytes(write(invoice()))
        receiver, url = start_receiver(python, pki, work)
        try:
            sequential, concurrent = await ours_sending(pki, url)
            client_side = await ours_client_side(pki, url)
            peer = await peer_send(
                python, pki, url, document, MESSAGES, to_cert=pki / "POP000002.cert.pem"
            )
            peer_rate = per_second(peer, "build_ms", "post_ms", "verify_ms")
            peer_client_side = per_second(peer, "build_ms", "verify_ms")
            kit_receiving = per_second(peer, "post_ms")
            ours_rx = (
                await ours_receiving(python, pki, work / "rx", document)
                if (work / "rx").mkdir() is None
                else 0.0
            )
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
    print(
        f"sending   ours {sequential:7.1f} msg/s one at a time, {concurrent:7.1f} msg/s with 16 in flight"
        f"   peer as4 {peer_rate:7.1f} msg/s   ratio {sequential / peer_rate:4.2f}x (sequential; both wait on the same receiver)"
    )
    print(
        f"sender's own work (build+sign+encrypt, receipt check)  ours {client_side:7.1f} msg/s   peer as4 {peer_client_side:7.1f} msg/s"
        f"   ratio {client_side / peer_client_side:4.2f}x"
    )
    print(
        f"receiving ours {ours_rx:7.1f} msg/s (POST until receipt, median; incl. ledger write)"
        f"   kit receiver {kit_receiving:7.1f} msg/s   ratio {ours_rx / kit_receiving:4.2f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
