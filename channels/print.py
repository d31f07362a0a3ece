"""Channel ``print``: print-ready PDFs handed to a print provider in daily batches with a manifest.

Each delivery's PDF is made print-ready (an odd page count gets a blank back page when the
provider prints duplex) and put into the current batch (``channels.print_batches``): a folder
(``spool``) or a folder on the provider's SFTP server (``sftp``, settings as for the operator
channel); a batch closes at the ``cutoff`` time and at ``batch_size`` invoices. The batch manifest
(CSV: message id, invoice number, pages, recipient name, post code, city, country) grows with
each delivery. The provider answers with an acknowledgement file (``message_id;status;reason``),
imported by ``import_acknowledgements``: OK → delivered, anything else → failed (next channel).
Until then the receipt is pending confirmation.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import Envelope, Evidence, LocalConfigurationError, Receipt, RecipientNotRegistered
from .operator import OperatorConfig, parse_acknowledgements
from .print_batches import SftpBatches, SpoolBatches, batch_day, batch_names

MANIFEST_FIELDS = (
    "message_id",
    "invoice_number",
    "pages",
    "name",
    "post_code",
    "city",
    "country",
    "file",
)


@dataclass(frozen=True, slots=True)
class PrintSettings:
    transport: str = "spool"  #: "spool" (a folder) or "sftp"
    folder: str | None = None  #: spool: where batches are written; default <data_dir>/print
    duplex: bool = True
    batch_prefix: str = "batch"
    batch_size: int = 0  #: invoices per batch; 0 = one batch per day
    cutoff: str | None = None  #: "HH:MM": PDFs handed over later go into the next day's batch
    timezone: str = "Europe/Stockholm"  #: of the cut-off and the batch day
    # sftp: the same keys as an operator
    host: str | None = None
    port: int = 22
    username: str | None = None
    password: str | None = None
    client_key: str | None = None
    known_hosts: str | None = None
    remote_dir: str = "."
    ack_dir: str = "ack"
    timeout: float = 30.0


def print_ready(pdf: bytes, *, duplex: bool) -> tuple[bytes, int]:
    """The PDF with a blank page appended when duplex printing needs an even page count."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    if not duplex or pages % 2 == 0:
        return pdf, pages
    writer = PdfWriter(clone_from=reader)
    box = reader.pages[-1].mediabox
    writer.add_blank_page(width=float(box.width), height=float(box.height))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), pages + 1


class PrintChannel:
    name = "print"

    def __init__(self, settings: PrintSettings, data_dir: Path) -> None:
        self.settings = settings
        self.folder = Path(settings.folder) if settings.folder else data_dir / "print"
        if settings.transport == "sftp":
            self.batches = SftpBatches(
                self._operator(settings.remote_dir), MANIFEST_FIELDS, settings.batch_size
            )
        else:
            self.batches = SpoolBatches(self.folder, MANIFEST_FIELDS, settings.batch_size)

    def batch_name(self, when: datetime) -> str:
        return batch_names(
            self.settings.batch_prefix,
            batch_day(when, self.settings.cutoff, self.settings.timezone),
        )[0]

    async def send(self, envelope: Envelope) -> Receipt:
        postal = envelope.recipient.postal
        if not postal or not postal.get("city"):
            raise RecipientNotRegistered("the recipient has no postal address to print to")
        pdf, pages = print_ready(envelope.document("pdf").content, duplex=self.settings.duplex)
        when = datetime.now(UTC)
        names = batch_names(
            self.settings.batch_prefix,
            batch_day(when, self.settings.cutoff, self.settings.timezone),
        )
        stem = envelope.message_id.split("@")[0]
        row = {
            "message_id": envelope.message_id,
            "invoice_number": envelope.meta.get("number", ""),
            "pages": str(pages),
            "name": postal.get("name") or "",
            "post_code": postal.get("post_code") or "",
            "city": postal.get("city") or "",
            "country": postal.get("country") or "",
            "file": f"{stem}.pdf",
        }
        batch, where = await self.batches.place(names, f"{stem}.pdf", pdf, row)
        manifest_line = ";".join(row[f] for f in MANIFEST_FIELDS).encode()
        return Receipt(
            channel=self.name,
            remote_id=f"{batch}/{stem}",
            received_at=when,
            pending_confirmation=True,
            evidence=(
                Evidence(kind="print-manifest-line", media_type="text/csv", content=manifest_line),
            ),
            report={"batch": batch, "pages": str(pages), "file": where},
        )

    def _operator(self, remote_dir: str) -> OperatorConfig:
        s = self.settings
        return OperatorConfig(
            name="print",
            transport="sftp",
            document="svefaktura",
            host=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            client_key=s.client_key,
            known_hosts=s.known_hosts,
            remote_dir=remote_dir,
            ack_dir=s.ack_dir,
            timeout=s.timeout,
        )

    async def collect_acknowledgements(self) -> list[tuple[str, bytes]]:
        """Acknowledgement files from the provider (spool: the folder's ack/ subfolder)."""
        if self.settings.transport == "sftp":
            from .operator_sftp import collect_acknowledgements

            return await collect_acknowledgements(self._operator(self.settings.remote_dir))
        ack_dir = self.folder / "ack"
        done = ack_dir / "processed"
        found = []
        if ack_dir.is_dir():
            done.mkdir(exist_ok=True)
            for path in sorted(
                p for p in ack_dir.iterdir() if p.is_file() and not p.name.startswith(".")
            ):
                found.append((path.name, path.read_bytes()))
                os.replace(path, done / path.name)
        return found

    async def aclose(self) -> None:
        return None


__all__ = ["PrintChannel", "PrintSettings", "build", "parse_acknowledgements", "print_ready"]


def build(config: Mapping[str, Any], *, settings: Any) -> PrintChannel:
    known = PrintSettings.__dataclass_fields__
    unknown = set(config) - set(known)
    if unknown:
        raise LocalConfigurationError(f"channels.print: unknown setting(s) {sorted(unknown)}")
    values = dict(config)
    if values.get("transport", "spool") not in ("spool", "sftp"):
        raise LocalConfigurationError("channels.print.transport must be spool or sftp")
    cutoff = values.get("cutoff")
    if cutoff is not None and not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", str(cutoff)):
        raise LocalConfigurationError(f"channels.print.cutoff must be HH:MM, not {cutoff!r}")
    try:
        ZoneInfo(values.get("timezone", "Europe/Stockholm"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LocalConfigurationError(f"channels.print.timezone: {exc}") from exc
    return PrintChannel(PrintSettings(**values), Path(getattr(settings, "data_dir", "var")))
