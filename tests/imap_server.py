"""A real IMAP server (Debian's dovecot) for tests: its own throwaway instance, configuration
and mailbox under a temporary folder, on a free loopback port, stopped by its PID."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.sftp_server import free_port

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "bounce-secret"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = fakturaport-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class ImapServer:
    port: int
    user: str = USER
    password: str = PASSWORD

    def settings(self, **extra) -> dict:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "username": self.user,
            "password": self.password,
            **extra,
        }


def unavailable() -> str | None:
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)"
    return None


@contextmanager
def imap_server() -> Iterator[ImapServer]:
    # Not under pytest's tmp_path: dovecot's unprivileged login and mail processes must reach it.
    root = Path(tempfile.mkdtemp(prefix="fakturaport-imap-"))
    os.chmod(root, 0o755)  # noqa: S103  (a throwaway test mailbox the dovecot users must traverse)
    port = free_port()
    (root / "home").mkdir()
    shutil.chown(root / "home", "dovecot", "dovecot")
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    # dovecot daemonizes: its master must not inherit pipes we would wait on.
    with (root / "start.log").open("w") as log:
        subprocess.run(
            [DOVECOT, "-c", str(root / "dovecot.conf")],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
    pid = int(_wait_for(root / "run" / "master.pid").read_text())
    try:
        _wait_for_port(port)
        yield ImapServer(port)
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(path: Path) -> Path:
    for _ in range(100):
        if path.exists() and path.read_text().strip():
            return path
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not start ({path} missing)")


def _wait_for_port(port: int) -> None:
    import socket

    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"dovecot does not listen on {port}")
