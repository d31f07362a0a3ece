"""Channel ``spool``: writes each delivery's document and a receipt into a folder.

The development default, and a real hand-off for deployments whose next hop picks files up.
Files are written atomically (temporary name, then rename) and named by the delivery's stable
message id, so a retry of the same delivery replaces its own file instead of adding a second.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import Envelope, Evidence, LocalConfigurationError, Receipt

#: The document a spool delivery writes, by preference.
PREFERRED = ("ubl", "svefaktura", "cii", "pdf", "original")


class SpoolChannel:
    name = "spool"

    def __init__(self, folder: Path, document: str | None = None) -> None:
        self.folder = folder
        self.document = document

    async def send(self, envelope: Envelope) -> Receipt:
        kinds = [self.document] if self.document else list(PREFERRED)
        doc = next((d for k in kinds for d in envelope.documents if d.kind == k), None)
        if doc is None:
            raise LocalConfigurationError(f"no document of kind {', '.join(kinds)} to spool")
        stem = envelope.message_id.split("@")[0]
        suffix = {"pdf": ".pdf", "original": ".bin"}.get(doc.kind, ".xml")
        receipt = {
            "message_id": envelope.message_id,
            "invoice_id": envelope.invoice_id,
            "delivery_id": envelope.delivery_id,
            "document": doc.kind,
            "bytes": len(doc.content),
            "at": datetime.now(UTC).isoformat(),
        }
        body = json.dumps(receipt, indent=2).encode()
        files = ((f"{stem}{suffix}", doc.content), (f"{stem}.receipt.json", body))
        try:
            # fsync blocks for milliseconds: in a thread, so the event loop keeps serving.
            await asyncio.to_thread(self._write, files)
        except OSError as exc:
            raise LocalConfigurationError(
                f"spool folder {self.folder} is not writable: {exc.strerror}"
            ) from exc
        return Receipt(
            channel=self.name,
            remote_id=stem,
            received_at=datetime.now(UTC),
            evidence=(Evidence(kind="spool-receipt", media_type="application/json", content=body),),
        )

    async def aclose(self) -> None:
        return None

    def _write(self, files: tuple[tuple[str, bytes], ...]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, content in files:  # the document first: a receipt never names a missing file
            _atomic_write(self.folder / name, content)


def _atomic_write(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def build(config: Mapping[str, Any], *, settings: Any) -> SpoolChannel:
    folder = Path(config.get("folder") or Path(settings.data_dir) / "spool")
    return SpoolChannel(folder, config.get("document"))
