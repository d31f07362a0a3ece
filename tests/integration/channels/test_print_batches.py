"""The print channel hands print-ready PDFs to a provider in batches with a manifest: over SFTP
to a real (asyncssh) server and into a folder; batches close at the cut-off time and at the batch
size; the provider's acknowledgement file comes back over SFTP."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from channels import Address, Document, Envelope, LocalConfigurationError
from channels.operator import parse_acknowledgements
from channels.print import build
from channels.print_batches import batch_day
from formats.pdf import render_pdf
from tests.sftp_server import PASSWORD, USER, sftp_server
from tests.svefaktura_samples import invoice

POSTAL = {
    "name": "Johnssons Byggvaror AB",
    "lines": ["Storgatan 1"],
    "post_code": "411 01",
    "city": "Göteborg",
    "country": "SE",
}


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf(invoice())


def _envelope(pdf: bytes, n: int) -> Envelope:
    return Envelope(
        delivery_id=f"d{n}",
        invoice_id=f"i{n}",
        tenant_id="t",
        attempt=1,
        message_id=f"0000000{n}-aaaa@fakturaport",
        sender=Address(),
        recipient=Address(postal=POSTAL),
        meta={"number": f"2026-{n}"},
        documents=(
            Document(kind="pdf", media_type="application/pdf", content=pdf, filename="invoice.pdf"),
        ),
    )


def _manifest(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))


async def test_batches_over_sftp_with_manifest_size_limit_and_acknowledgements(tmp_path, pdf):
    root = tmp_path / "provider"
    (root / "in").mkdir(parents=True)
    (root / "ack").mkdir()
    async with sftp_server(root) as port:
        channel = build(
            {
                "transport": "sftp",
                "host": "127.0.0.1",
                "port": port,
                "username": USER,
                "password": PASSWORD,
                "known_hosts": "none",
                "remote_dir": "/in",
                "ack_dir": "/ack",
                "batch_size": 2,
            },
            settings=None,
        )
        receipts = [await channel.send(_envelope(pdf, n)) for n in (1, 2, 3)]
        await channel.send(
            _envelope(pdf, 3)
        )  # a retry of the same delivery lands in the same place, listed once
        assert all(r.pending_confirmation for r in receipts)
        first, second = sorted(p for p in (root / "in").iterdir() if p.is_dir())
        assert second.name == f"{first.name}-2"
        assert [row["invoice_number"] for row in _manifest(first / "manifest.csv")] == [
            "2026-1",
            "2026-2",
        ]
        assert [row["invoice_number"] for row in _manifest(second / "manifest.csv")] == ["2026-3"]
        printed = PdfReader(io.BytesIO((first / "00000001-aaaa.pdf").read_bytes()))
        assert len(printed.pages) % 2 == 0  # duplex: a blank back page when needed
        assert not list(root.rglob("*.part"))

        (root / "ack" / "ack-1.csv").write_text(
            "message_id;status;reason\n00000001-aaaa@fakturaport;OK;\n"
        )
        files = await channel.collect_acknowledgements()
        assert [a.message_id for _, content in files for a in parse_acknowledgements(content)] == [
            "00000001-aaaa@fakturaport"
        ]


def test_the_cut_off_moves_late_pdfs_to_the_next_days_batch():
    before = datetime(2026, 11, 23, 13, 59, tzinfo=UTC)  # 14:59 in Stockholm
    after = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 15:00 in Stockholm
    assert batch_day(before, "15:00", "Europe/Stockholm") == date(2026, 11, 23)
    assert batch_day(after, "15:00", "Europe/Stockholm") == date(2026, 11, 24)
    assert batch_day(after, None, "Europe/Stockholm") == date(2026, 11, 23)


async def test_spool_batches_respect_the_size_too(tmp_path, pdf):
    channel = build({"folder": str(tmp_path / "print"), "batch_size": 1}, settings=None)
    for n in (1, 2):
        await channel.send(_envelope(pdf, n))
    batches = sorted(p.name for p in (tmp_path / "print").iterdir())
    assert len(batches) == 2 and batches[1] == f"{batches[0]}-2"


def test_bad_print_settings_name_the_setting():
    with pytest.raises(LocalConfigurationError, match="cutoff"):
        build({"cutoff": "3pm"}, settings=None)
    with pytest.raises(LocalConfigurationError, match="timezone"):
        build({"timezone": "Mars/Olympus"}, settings=None)
