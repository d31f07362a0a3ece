"""Bounces: delivery status notifications (RFC 3464) and common non-standard bounces, parsed and
matched to the delivery they concern through the VERP return path (bounces+<delivery>@domain),
or, when a mail system or a forward lost it, through the original Message-ID the bounce quotes.

``BounceReceiver`` is an aiosmtpd handler for the bounce domain; ``parse_bounce`` works on any raw
message (the IMAP poller feeds it too). A permanent failure (5.x.x, or a non-standard bounce
that says the address does not exist) is reported to the ``on_bounce`` callback; delays (4.x.x)
are not failures and are ignored.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import Message

log = logging.getLogger("fakturaport.bounces")
VERP = re.compile(r"bounces\+([0-9a-f]{32})@", re.IGNORECASE)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_NON_STANDARD = re.compile(
    r"(user unknown|no such user|mailbox (is )?(unavailable|not found|full)|address rejected|"
    r"does not exist|recipient address rejected|undeliverable|delivery has failed|no mailbox here|"
    r"permanent error|address not found|couldn't be delivered|could not be delivered)",
    re.IGNORECASE,
)


_MESSAGE_ID = re.compile(
    r"^(?:message-id|in-reply-to|references):\s*<([^<>@\s]+)@[^<>\s]+>",
    re.IGNORECASE | re.MULTILINE,
)
_OUR_LOCAL_PART = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Bounce:
    delivery_id: str | None  #: from the VERP address
    permanent: bool
    status: str | None  #: the DSN status, e.g. "5.1.1"
    diagnostic: str
    recipient: str | None
    raw: bytes
    original_message_id: str | None = (
        None  #: the local part of our Message-ID, when no VERP was left
    )


def _delivery_id(message: Message, envelope_recipients: list[str]) -> str | None:
    candidates = list(envelope_recipients)
    for header in ("X-Original-To", "Delivered-To", "To", "Envelope-To"):
        candidates += message.get_all(header, [])
    for candidate in candidates:
        match = VERP.search(str(candidate))
        if match:
            return match.group(1).lower()
    return None


def _original_message_id(message: Message, own_id: str | None) -> str | None:
    """Our Message-ID quoted by the bounce (headers of the returned message, In-Reply-To,
    References, or plain text), never the bounce's own."""
    own = (own_id or "").strip("<> ")
    texts = [f"{k}: {v}" for k, v in message.items() if k.lower() in ("in-reply-to", "references")]
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list):
                texts += [f"{k}: {v}" for sub in inner for k, v in sub.items()]
            else:
                texts.append((part.get_payload(decode=True) or b"").decode("utf-8", "replace"))
        elif part.get_content_maintype() == "text":
            texts.append(
                (part.get_payload(decode=True) or b"").decode(
                    part.get_content_charset() or "utf-8", "replace"
                )
            )
    for text in texts:
        for match in _MESSAGE_ID.finditer(text):
            local = match.group(1)
            if _OUR_LOCAL_PART.match(local) and not own.startswith(local):
                return local.lower()
    return None


def _dsn_fields(message: Message) -> dict[str, str]:
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            fields: dict[str, str] = {}
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [part]
            for block in blocks:
                for key in (
                    "Status",
                    "Action",
                    "Diagnostic-Code",
                    "Final-Recipient",
                    "Original-Recipient",
                ):
                    value = block.get(key)
                    if value and key not in fields:
                        fields[key] = str(value)
            if not fields:
                text = part.get_payload(decode=True) or b""
                for line in text.decode("utf-8", "replace").splitlines():
                    key, _, value = line.partition(":")
                    if (
                        key.strip() in ("Status", "Action", "Diagnostic-Code", "Final-Recipient")
                        and key.strip() not in fields
                    ):
                        fields[key.strip()] = value.strip()
            return fields
    return {}


def _text(message: Message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


def parse_bounce(raw: bytes, envelope_recipients: list[str] | None = None) -> Bounce | None:
    """The bounce in ``raw``, or None when it is not a failure report about one of our deliveries."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    delivery_id = _delivery_id(message, envelope_recipients or [])
    original = None if delivery_id else _original_message_id(message, message.get("Message-ID"))
    if delivery_id is None and original is None:
        return None
    fields = _dsn_fields(message)
    status = fields.get("Status")
    action = fields.get("Action", "").lower()
    diagnostic = fields.get("Diagnostic-Code") or ""
    recipient = (fields.get("Final-Recipient") or "").split(";")[-1].strip() or None
    if status:
        match = _STATUS.search(status)
        permanent = bool(match and match.group(1) == "5") or action == "failed"
        if match and match.group(1) in ("2", "4") and action != "failed":
            return None  # delivered or delayed: not a failure
    else:
        text = _text(message)
        found = _NON_STANDARD.search(text)
        if not found:
            return None
        permanent = True
        status_match = _STATUS.search(text)
        status = status_match.group(0) if status_match else None
        diagnostic = text[max(0, found.start() - 120) : found.end() + 120].strip()
    return Bounce(delivery_id, permanent, status, diagnostic.strip(), recipient, raw, original)


class BounceReceiver:
    """aiosmtpd handler: accepts mail for the bounce domain and reports failures."""

    def __init__(self, on_bounce: Callable[[Bounce], Awaitable[None]]) -> None:
        self.on_bounce = on_bounce

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not VERP.search(address):
            return "550 5.1.1 not a bounce address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        bounce = parse_bounce(envelope.content, list(envelope.rcpt_tos))
        if bounce is not None and bounce.permanent:
            try:
                await self.on_bounce(bounce)
            except Exception:
                log.exception(
                    "recording a bounce failed", extra={"delivery_id": bounce.delivery_id}
                )
                return "451 4.3.0 try again later"
        return "250 OK"
