"""Channel ``spool``: writes each delivery's document and a receipt into a folder.

The development default, and a real hand-off for deployments whose next hop picks files up.
Files are written atomically (temporary name, then rename) and named by the delivery's stable
message id, so a retry of the same delivery replaces its own file instead of adding a second.
A receipt is returned only once its files and their names are on disk (file and folder fsynced).
Deliveries sent at the same time are written together: their files are fsynced at the same time
(the filesystem commits concurrent fsyncs together, where one after another each waits for its
own commit) and one folder fsync covers all their names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import Envelope, Evidence, LocalConfigurationError, Receipt

#: The document a spool delivery writes, by preference.
PREFERRED = ("ubl", "svefaktura", "cii", "pdf", "original")
#: Deliveries whose files are written and fsynced at the same time (as many as a worker sends
#: at once by default).
PARALLEL_WRITES = 8
_WRITERS = ThreadPoolExecutor(PARALLEL_WRITES, thread_name_prefix="spool-write")


class SpoolChannel:
    name = "spool"

    def __init__(self, folder: Path, document: str | None = None) -> None:
        self.folder = folder
        self.document = document
        self._waiting: list[tuple[_Files, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

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
            await self._written(files)
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

    async def _written(self, files: _Files) -> None:
        """Once ``files`` are on disk. fsync blocks for milliseconds, so the writing happens in a
        thread; whatever is sent while a batch is being written goes together in the next one."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((files, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        await done

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            errors: list[BaseException | None]
            try:
                errors = list(await asyncio.to_thread(self.write_batch, [f for f, _ in batch]))
            except Exception as exc:  # the folder itself cannot be made or synced
                errors = [exc] * len(batch)
            except BaseException as exc:
                for _, done in (*batch, *self._waiting):
                    if not done.done():
                        done.set_exception(exc)
                self._waiting.clear()
                raise
            for (_, done), error in zip(batch, errors, strict=True):
                if done.done():
                    continue
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)

    def write_batch(self, batch: list[_Files]) -> list[OSError | None]:
        """Blocking; ``send`` runs it in a thread (bench/delivery.py times it alone).
        The deliveries' files are written and fsynced under temporary names, deliveries side
        by side; then each delivery's are renamed, the document first (a receipt never names a
        missing file), and one fsync of the folder makes all the names durable. An error
        fails its delivery only."""
        self.folder.mkdir(parents=True, exist_ok=True)
        staged = list(_WRITERS.map(self._stage, batch))
        errors: list[OSError | None] = []
        for renames in staged:
            if isinstance(renames, OSError):
                errors.append(renames)
                continue
            try:
                for temporary, path in renames:
                    os.replace(temporary, path)
                errors.append(None)
            except OSError as exc:
                _discard(temporary for temporary, _ in renames)
                errors.append(exc)
        _fsync_folder(self.folder)
        return errors

    def _stage(self, files: _Files) -> list[tuple[Path, Path]] | OSError:
        """One delivery's files on disk under temporary names: (temporary, final) pairs."""
        renames = []
        try:
            for name, content in files:
                path = self.folder / name
                temporary = path.with_name(f".{path.name}.tmp")
                _durable_write(temporary, content)
                renames.append((temporary, path))
        except OSError as exc:
            _discard([*(temporary for temporary, _ in renames), temporary])
            return exc
        return renames


#: One delivery's files: (name, content), written in this order.
_Files = tuple[tuple[str, bytes], ...]


def _durable_write(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _discard(temporaries: Iterable[Path]) -> None:
    """A failed delivery's files that were not renamed (those that were stay: a retry
    replaces them). Whatever cannot be removed is left: the delivery's own error is reported."""
    for temporary in temporaries:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _fsync_folder(folder: Path) -> None:
    """Makes the renames durable: a file's content is fsynced, its new name is the folder's."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def build(config: Mapping[str, Any], *, settings: Any) -> SpoolChannel:
    folder = Path(config.get("folder") or Path(settings.data_dir) / "spool")
    return SpoolChannel(folder, config.get("document"))
