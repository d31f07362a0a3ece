"""Channel ``email``: the invoice (or reminder) PDF, optionally the UBL, by SMTP with a VERP return path.

Settings (``[channels.email]``): host, port, security ("starttls", "tls" or "none"), username,
password, from_address, from_name, reply_to, bounce_domain, timeout, attach_ubl.
The Message-ID is derived from the delivery's stable message id, so a retry is recognisably the
same mail; the envelope sender is ``bounces+<delivery id>@<bounce domain>`` so a bounce names
the delivery it belongs to (``channels.email_bounces``). Connection failures and 4xx replies are
transient, 5xx replies permanent. The receipt is the server's final reply (its queue id) and the
SMTP conversation is kept as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr
from functools import cache
from typing import Any

import aiosmtplib

from . import (
    DeliveryTimeout,
    Envelope,
    Evidence,
    LocalConfigurationError,
    Receipt,
    RecipientNotRegistered,
    RemoteRejected,
    RemoteUnavailable,
)

SUBJECTS = {
    "sv": "Faktura {number} från {seller}",
    "nb": "Faktura {number} fra {seller}",
    "da": "Faktura {number} fra {seller}",
    "fi": "Lasku {number} – {seller}",
    "en": "Invoice {number} from {seller}",
}
REMINDER_SUBJECTS = {
    "sv": "Påminnelse: faktura {number} från {seller}",
    "nb": "Påminnelse: faktura {number} fra {seller}",
    "da": "Påmindelse: faktura {number} fra {seller}",
    "fi": "Maksumuistutus: lasku {number} – {seller}",
    "en": "Reminder: invoice {number} from {seller}",
}
CREDIT_SUBJECTS = {
    "sv": "Kreditnota {number} från {seller}",
    "nb": "Kreditnota {number} fra {seller}",
    "da": "Kreditnota {number} fra {seller}",
    "fi": "Hyvityslasku {number} – {seller}",
    "en": "Credit note {number} from {seller}",
}


@dataclass(frozen=True, slots=True)
class EmailSettings:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "starttls"  #: "starttls" (when offered), "tls" (implicit) or "none"
    username: str | None = None
    password: str | None = None
    from_address: str = "invoices@localhost"
    from_name: str | None = None
    reply_to: str | None = None
    bounce_domain: str | None = None
    timeout: float = 30.0
    attach_ubl: bool = False
    bounce_listen: str | None = None  #: "host:port" of the built-in bounce receiver (gateway side)
    imap: Mapping[str, Any] | None = (
        None  #: or: a mailbox the bounces arrive in (``email_imap.ImapSettings``)
    )


@cache
def _body_templates():
    import jinja2

    return jinja2.Environment(
        # Plain-text mail bodies: there is no HTML to escape into.
        loader=jinja2.PackageLoader("fakturaport_templates", "email"),
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
    )


def _body(envelope: Envelope) -> str:
    language = envelope.language if envelope.language in SUBJECTS else "en"
    stem = "reminder" if envelope.document_type == "reminder" else "invoice"
    template = _body_templates().get_template(f"{stem}.{language}.txt")
    return template.render(meta=envelope.meta, credit=envelope.document_type == "credit_note")


class EmailChannel:
    name = "email"

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def build_message(self, envelope: Envelope) -> EmailMessage:
        s = self.settings
        to = envelope.recipient.email
        if not to or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", to):
            raise RecipientNotRegistered(f"the recipient has no usable email address ({to!r})")
        meta = envelope.meta
        language = envelope.language if envelope.language in SUBJECTS else "en"
        subjects = {"credit_note": CREDIT_SUBJECTS, "reminder": REMINDER_SUBJECTS}.get(
            envelope.document_type, SUBJECTS
        )
        msg = EmailMessage()
        seller = meta.get("seller_name") or s.from_name or s.from_address
        msg["Subject"] = subjects[language].format(number=meta.get("number", ""), seller=seller)
        msg["From"] = formataddr((meta.get("seller_name") or s.from_name or "", s.from_address))
        msg["To"] = to
        if meta.get("reply_to") or s.reply_to:
            msg["Reply-To"] = meta.get("reply_to") or s.reply_to
        local = envelope.message_id.split("@")[0]
        msg["Message-ID"] = f"<{local}@{(s.bounce_domain or s.from_address.split('@')[-1])}>"
        msg["X-Fakturaport-Delivery"] = envelope.delivery_id
        msg.set_content(_body(envelope))
        pdf = envelope.document("pdf")
        msg.add_attachment(
            pdf.content,
            maintype="application",
            subtype="pdf",
            filename=pdf.filename or f"{meta.get('number', 'invoice')}.pdf",
        )
        if s.attach_ubl:
            ubl = next((d for d in envelope.documents if d.kind == "ubl"), None)
            if ubl is not None:
                msg.add_attachment(
                    ubl.content,
                    maintype="application",
                    subtype="xml",
                    filename=ubl.filename or "invoice.xml",
                )
        return msg

    def return_path(self, envelope: Envelope) -> str:
        domain = self.settings.bounce_domain or self.settings.from_address.split("@")[-1]
        return f"bounces+{envelope.delivery_id}@{domain}"

    async def send(self, envelope: Envelope) -> Receipt:
        s = self.settings
        message = self.build_message(envelope)
        transcript: list[str] = []
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout,
            use_tls=s.security == "tls",
            start_tls=False,
        )
        try:
            reply = await client.connect()
            transcript.append(f"connect {s.host}:{s.port} -> {reply.code} {reply.message}")
            if s.security == "starttls" and client.supports_extension("starttls"):
                reply = await client.starttls()
                transcript.append(f"STARTTLS -> {reply.code}")
            if s.username:
                reply = await client.login(s.username, s.password or "")
                transcript.append(f"AUTH -> {reply.code}")
            refused, final = await client.send_message(
                message, sender=self.return_path(envelope), recipients=[message["To"]]
            )
            transcript.append(
                f"MAIL FROM:<{self.return_path(envelope)}> RCPT TO:<{message['To']}> DATA -> {final}"
            )
            if refused:
                code, text = next(iter(refused.values()))
                raise _classify(code, text, transcript)
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise LocalConfigurationError(f"SMTP login refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            raise _classify(first.code, first.message, transcript) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(exc.code, exc.message, transcript) from exc
        except aiosmtplib.SMTPTimeoutError as exc:
            raise DeliveryTimeout(
                f"SMTP server {s.host}:{s.port} timed out", evidence=_evidence(transcript)
            ) from exc
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
            raise RemoteUnavailable(
                f"SMTP server {s.host}:{s.port} unavailable: {exc}", evidence=_evidence(transcript)
            ) from exc
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        queue_id = _queue_id(final)
        return Receipt(
            channel=self.name,
            remote_id=queue_id or message["Message-ID"],
            received_at=datetime.now(UTC),
            evidence=_evidence(transcript),
            report={"message_id": message["Message-ID"], "to": message["To"], "smtp_reply": final},
        )

    async def aclose(self) -> None:
        return None


def _classify(code: int, text: str, transcript: list[str]) -> Exception:
    transcript.append(f"-> {code} {text}")
    if 400 <= code < 500:
        return RemoteUnavailable(f"SMTP {code}: {text}", evidence=_evidence(transcript))
    return RemoteRejected(f"SMTP {code}: {text}", evidence=_evidence(transcript))


def _queue_id(reply: str) -> str | None:
    match = re.search(r"queued as ([A-Za-z0-9]+)", reply or "")
    return match.group(1) if match else None


def _evidence(transcript: list[str]) -> tuple[Evidence, ...]:
    return (
        Evidence(
            kind="smtp-transcript", media_type="text/plain", content="\n".join(transcript).encode()
        ),
    )


def build(config: Mapping[str, Any], *, settings: Any = None) -> EmailChannel:
    known = EmailSettings.__dataclass_fields__
    unknown = set(config) - set(known)
    if unknown:
        raise LocalConfigurationError(f"channels.email: unknown setting(s) {sorted(unknown)}")
    values = dict(config)
    if "port" in values:
        values["port"] = int(values["port"])
    if values.get("security", "starttls") not in ("starttls", "tls", "none"):
        raise LocalConfigurationError("channels.email.security must be starttls, tls or none")
    if values.get("imap") is not None:
        from .email_imap import ImapSettings

        ImapSettings.from_config(
            values["imap"]
        )  # a bad mailbox setting is found at start, not at the first poll
    return EmailChannel(EmailSettings(**values))
