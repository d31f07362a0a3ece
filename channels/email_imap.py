"""Bounces from an IMAP mailbox, for set-ups where the bounce address is an ordinary mailbox
rather than the built-in receiver: new messages are fetched (without marking them read), handed
to the gateway, and then settled so nothing is handled twice — bounces we recorded move to
``processed_folder``; everything else keeps its place and gets the ``$FakturaportSeen`` keyword,
so a person can still read it. IMAP (stdlib imaplib) runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import ssl
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import LocalConfigurationError

SEEN = "$FakturaportSeen"
MAX_MESSAGES = 200  #: per poll; the rest comes next time


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    port: int = 993
    security: str = "tls"  #: tls, starttls or none
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    poll_seconds: float = 60.0
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImapSettings:
        unknown = set(config) - set(cls.__dataclass_fields__)
        if unknown or "host" not in config:
            raise LocalConfigurationError(
                f"channels.email.imap: host is required; unknown setting(s) {sorted(unknown)}"
            )
        if config.get("security", "tls") not in ("tls", "starttls", "none"):
            raise LocalConfigurationError(
                "channels.email.imap.security must be tls, starttls or none"
            )
        return cls(**config)


@contextlib.contextmanager
def _session(settings: ImapSettings) -> Iterator[imaplib.IMAP4]:
    if settings.security == "tls":
        conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            ssl_context=ssl.create_default_context(),
        )
    else:
        conn = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            conn.starttls(ssl.create_default_context())
    try:
        conn.login(settings.username, settings.password)
        status, _ = conn.select(_quote(settings.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {settings.folder!r}")
        yield conn
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_new(settings: ImapSettings) -> list[tuple[str, bytes]]:
    """(UID, raw message) of messages not settled yet, oldest first."""
    with _session(settings) as conn:
        _, data = conn.uid("SEARCH", None, "UNKEYWORD", SEEN)
        uids = (data[0] or b"").decode().split()[:MAX_MESSAGES]
        found = []
        for uid in uids:
            _, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is not None:
                found.append((uid, raw))
        return found


def settle(settings: ImapSettings, handled: list[str], others: list[str]) -> None:
    if not handled and not others:
        return
    with _session(settings) as conn:
        if others:
            conn.uid("STORE", ",".join(others), "+FLAGS", f"({SEEN})")
        if handled:
            uids = ",".join(handled)
            conn.create(_quote(settings.processed_folder))  # "already exists" is fine
            conn.uid("STORE", uids, "+FLAGS", f"({SEEN})")
            if "MOVE" in conn.capabilities:
                conn.uid("MOVE", uids, _quote(settings.processed_folder))
            else:
                conn.uid("COPY", uids, _quote(settings.processed_folder))
                conn.uid("STORE", uids, "+FLAGS", "(\\Deleted)")
                conn.expunge()


async def poll_once(settings: ImapSettings, on_message: Callable[[bytes], Awaitable[bool]]) -> int:
    """One round; ``on_message`` says whether the message was a bounce it recorded."""
    messages = await asyncio.to_thread(fetch_new, settings)
    handled, others = [], []
    for uid, raw in messages:
        (handled if await on_message(raw) else others).append(uid)
    await asyncio.to_thread(settle, settings, handled, others)
    return len(handled)
