"""SFTP transport of the operator channel (asyncssh): upload atomically, collect acknowledgements.

A document is written as ``<name>.part`` and renamed when complete, so an operator polling the
folder never picks up half a file. Host keys are checked against ``known_hosts`` (the user's
``~/.ssh/known_hosts`` when unset); ``known_hosts = "none"`` turns checking off explicitly.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import asyncssh

from . import DeliveryTimeout, LocalConfigurationError, RemoteRejected, RemoteUnavailable

if TYPE_CHECKING:
    from .operator import OperatorConfig


def _connect_options(operator: OperatorConfig) -> dict[str, Any]:
    options: dict[str, Any] = {
        "host": operator.host,
        "port": operator.port,
        "username": operator.username,
        "connect_timeout": operator.timeout,
    }
    if operator.password:
        options["password"] = operator.password
    if operator.client_key:
        options["client_keys"] = [operator.client_key]
    if operator.known_hosts == "none":
        options["known_hosts"] = None
    elif operator.known_hosts:
        options["known_hosts"] = operator.known_hosts
    return options


@contextlib.asynccontextmanager
async def sftp_session(operator: OperatorConfig) -> AsyncIterator[asyncssh.SFTPClient]:
    async with (
        asyncssh.connect(**_connect_options(operator)) as conn,
        conn.start_sftp_client() as sftp,
    ):
        yield sftp


@contextlib.asynccontextmanager
async def sftp_errors(operator: OperatorConfig) -> AsyncIterator[None]:
    """SFTP failures as delivery errors: ours to fix (login, host key), the remote's (refused),
    or passing (timeouts, connection trouble)."""
    try:
        yield
    except asyncssh.PermissionDenied as exc:
        raise LocalConfigurationError(
            f"operator {operator.name}: SFTP login refused: {exc}"
        ) from exc
    except asyncssh.HostKeyNotVerifiable as exc:
        raise LocalConfigurationError(
            f"operator {operator.name}: SFTP host key not trusted: {exc}"
        ) from exc
    except asyncssh.SFTPError as exc:
        raise RemoteRejected(f"operator {operator.name}: SFTP refused the file: {exc}") from exc
    except TimeoutError as exc:
        raise DeliveryTimeout(f"operator {operator.name}: SFTP timed out") from exc
    except (OSError, asyncssh.Error) as exc:
        raise RemoteUnavailable(f"operator {operator.name}: SFTP unavailable: {exc}") from exc


async def upload(operator: OperatorConfig, filename: str, content: bytes) -> str:
    """Put ``content`` at ``remote_dir/filename``; returns the remote path."""
    target = posixpath.join(operator.remote_dir, filename)
    partial = f"{target}.part"
    async with sftp_errors(operator), sftp_session(operator) as sftp:
        async with sftp.open(partial, "wb") as remote:
            await remote.write(content)
        if await sftp.exists(target):
            await sftp.remove(target)  # a retry of the same message replaces its own file
        await sftp.rename(partial, target)
    return target


async def collect_acknowledgements(operator: OperatorConfig) -> list[tuple[str, bytes]]:
    """Acknowledgement files waiting in ``ack_dir``; each is moved to ``ack_dir/processed``."""
    found: list[tuple[str, bytes]] = []
    done_dir = posixpath.join(operator.ack_dir, "processed")
    async with (
        asyncssh.connect(**_connect_options(operator)) as conn,
        conn.start_sftp_client() as sftp,
    ):
        if not await sftp.exists(done_dir):
            await sftp.makedirs(done_dir)
        for name in sorted(await sftp.listdir(operator.ack_dir)):
            path = posixpath.join(operator.ack_dir, name)
            if name.startswith(".") or name.endswith(".part") or await sftp.isdir(path):
                continue
            async with sftp.open(path, "rb") as remote:
                found.append((name, await remote.read()))
            await sftp.rename(path, posixpath.join(done_dir, name))
    return found
