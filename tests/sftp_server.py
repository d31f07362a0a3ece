"""A real SFTP server (asyncssh) on loopback, chrooted to a folder, password login."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncssh

USER, PASSWORD = "fakturaport", "pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def sftp_server(root: Path) -> AsyncIterator[int]:
    """Serve ``root`` over SFTP; yields the port."""
    key = asyncssh.generate_private_key("ssh-ed25519")

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == USER and password == PASSWORD

    port = free_port()
    server = await asyncssh.listen(
        "127.0.0.1",
        port,
        server_host_keys=[key],
        server_factory=Server,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
    )
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()
