"""The spool channel: each delivery's document and receipt on disk before the receipt is returned;
deliveries sent together share one trip to a thread, and a failing one fails alone."""

from __future__ import annotations

import asyncio
import json

import pytest

from channels import Address, Document, Envelope, LocalConfigurationError
from channels.spool import SpoolChannel


def _envelope(n: int) -> Envelope:
    return Envelope(
        delivery_id=f"d{n}",
        invoice_id=f"i{n}",
        tenant_id="t",
        attempt=1,
        message_id=f"m{n}@fakturaport",
        sender=Address(),
        recipient=Address(),
        documents=(
            Document(kind="original", media_type="application/json", content=b"{}"),
            Document(kind="ubl", media_type="application/xml", content=f"<I n='{n}'/>".encode()),
        ),
    )


async def test_each_delivery_gets_its_document_and_receipt(tmp_path):
    channel = SpoolChannel(tmp_path / "spool")
    receipt = await channel.send(_envelope(1))
    assert (tmp_path / "spool" / "m1.xml").read_bytes() == b"<I n='1'/>"
    written = json.loads((tmp_path / "spool" / "m1.receipt.json").read_text())
    assert written["delivery_id"] == "d1" and written["document"] == "ubl"
    assert receipt.remote_id == "m1"
    assert json.loads(receipt.evidence[0].content) == written
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == ["m1.receipt.json", "m1.xml"]


async def test_a_retry_replaces_its_own_files(tmp_path):
    channel = SpoolChannel(tmp_path)
    await channel.send(_envelope(1))
    await channel.send(_envelope(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m1.receipt.json", "m1.xml"]


async def test_deliveries_sent_together_share_a_thread_trip(tmp_path, monkeypatch):
    trips: list[int] = []
    to_thread = asyncio.to_thread

    async def counting(function, batch):
        trips.append(len(batch))
        return await to_thread(function, batch)

    monkeypatch.setattr("channels.spool.asyncio.to_thread", counting)
    channel = SpoolChannel(tmp_path)
    receipts = await asyncio.gather(*(channel.send(_envelope(n)) for n in range(10)))
    assert [r.remote_id for r in receipts] == [f"m{n}" for n in range(10)]
    assert sum(trips) == 10 and len(trips) < 10, trips
    assert len(list(tmp_path.glob("*.receipt.json"))) == 10


async def test_a_delivery_that_cannot_be_written_fails_alone(tmp_path):
    channel = SpoolChannel(tmp_path)
    (tmp_path / "m2.xml").mkdir()  # a folder where delivery 2's document goes
    results = await asyncio.gather(
        *(channel.send(_envelope(n)) for n in range(4)), return_exceptions=True
    )
    assert isinstance(results[2], LocalConfigurationError)
    assert [r.remote_id for n, r in enumerate(results) if n != 2] == ["m0", "m1", "m3"]
    assert not (tmp_path / "m2.receipt.json").exists(), "no receipt for a missing document"
    assert not list(tmp_path.glob(".*.tmp")), "nothing half-written is left behind"


async def test_a_delivery_whose_receipt_cannot_be_written_leaves_no_document(tmp_path):
    channel = SpoolChannel(tmp_path)
    (tmp_path / ".m1.receipt.json.tmp").mkdir()  # the receipt's temporary name is taken
    results = await asyncio.gather(
        *(channel.send(_envelope(n)) for n in range(3)), return_exceptions=True
    )
    assert isinstance(results[1], LocalConfigurationError)
    assert not (tmp_path / "m1.xml").exists() and not (tmp_path / ".m1.xml.tmp").exists()
    assert (tmp_path / "m0.xml").exists() and (tmp_path / "m2.receipt.json").exists()


async def test_an_unusable_folder_is_a_configuration_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    channel = SpoolChannel(tmp_path / "file" / "spool")
    with pytest.raises(LocalConfigurationError, match="not writable"):
        await channel.send(_envelope(1))
