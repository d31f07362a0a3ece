"""Where a print-ready PDF goes: the day's batch (a folder locally or on the provider's SFTP
server) with its manifest. A batch closes at the cut-off time (later PDFs go into the next day's
batch) and when it holds ``batch_size`` invoices (the next one opens ``-2``, ``-3``, …)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import posixpath
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncssh

from . import LocalConfigurationError
from .operator import OperatorConfig
from .operator_sftp import sftp_errors, sftp_session


def batch_day(when: datetime, cutoff: str | None, timezone: str) -> date:
    """The batch day of a PDF handed over at ``when``: after the cut-off it is tomorrow's."""
    local = when.astimezone(ZoneInfo(timezone))
    if cutoff:
        hours, _, minutes = cutoff.partition(":")
        if (local.hour, local.minute) >= (int(hours), int(minutes or 0)):
            return local.date() + timedelta(days=1)
    return local.date()


def batch_names(prefix: str, day: date) -> list[str]:
    base = f"{prefix}-{day:%Y%m%d}"
    return [base] + [f"{base}-{n}" for n in range(2, 1000)]


def manifest_line(fields: Sequence[str], row: Mapping[str, str], *, header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), delimiter=";", lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode("utf-8")


def _entries(manifest: bytes) -> int:
    return max(0, len([line for line in manifest.splitlines() if line.strip()]) - 1)


class SpoolBatches:
    def __init__(self, folder: Path, fields: Sequence[str], batch_size: int) -> None:
        self.folder, self.fields, self.batch_size = folder, fields, batch_size
        self._lock = asyncio.Lock()

    async def place(
        self, names: list[str], filename: str, pdf: bytes, row: Mapping[str, str]
    ) -> tuple[str, str]:
        async with self._lock:
            return await asyncio.to_thread(self._place, names, filename, pdf, row)

    def _place(
        self, names: list[str], filename: str, pdf: bytes, row: Mapping[str, str]
    ) -> tuple[str, str]:
        try:
            for name in names:
                folder = self.folder / name
                manifest = folder / "manifest.csv"
                existing = manifest.read_bytes() if manifest.exists() else b""
                if (
                    (folder / filename).exists()
                    or not self.batch_size
                    or _entries(existing) < self.batch_size
                ):
                    break
            folder.mkdir(parents=True, exist_ok=True)
            target, temporary = folder / filename, folder / f".{filename}.tmp"
            temporary.write_bytes(pdf)
            os.replace(temporary, target)
            if (
                f"{row['message_id']};".encode() not in existing
            ):  # a retry does not list the invoice twice
                with manifest.open("ab") as handle:
                    handle.write(manifest_line(self.fields, row, header=not existing))
        except OSError as exc:
            raise LocalConfigurationError(
                f"print folder {self.folder} is not writable: {exc.strerror}"
            ) from exc
        return name, str(target)


class SftpBatches:
    """The same on the provider's SFTP server; the manifest is rewritten whole (``.part`` then
    rename) so the provider never reads half of it."""

    def __init__(self, operator: OperatorConfig, fields: Sequence[str], batch_size: int) -> None:
        self.operator, self.fields, self.batch_size = operator, fields, batch_size
        self._lock = asyncio.Lock()  # one writer per manifest in this process

    async def place(
        self, names: list[str], filename: str, pdf: bytes, row: Mapping[str, str]
    ) -> tuple[str, str]:
        async with self._lock, sftp_errors(self.operator), sftp_session(self.operator) as sftp:
            for name in names:
                folder = posixpath.join(self.operator.remote_dir, name)
                manifest = posixpath.join(folder, "manifest.csv")
                existing = await _read(sftp, manifest)
                if (
                    await sftp.exists(posixpath.join(folder, filename))
                    or not self.batch_size
                    or _entries(existing) < self.batch_size
                ):
                    break
            await sftp.makedirs(folder, exist_ok=True)
            target = posixpath.join(folder, filename)
            await _write(sftp, target, pdf)
            if f"{row['message_id']};".encode() not in existing:
                await _write(
                    sftp, manifest, existing + manifest_line(self.fields, row, header=not existing)
                )
        return name, f"sftp:{target}"


async def _read(sftp: asyncssh.SFTPClient, path: str) -> bytes:
    if not await sftp.exists(path):
        return b""
    async with sftp.open(path, "rb") as remote:
        return await remote.read()


async def _write(sftp: asyncssh.SFTPClient, path: str, content: bytes) -> None:
    partial = f"{path}.part"
    async with sftp.open(partial, "wb") as remote:
        await remote.write(content)
    if await sftp.exists(path):
        await sftp.remove(path)
    await sftp.rename(partial, path)
