"""Hand-off to an operator (VAN): Svefaktura or Peppol BIS over HTTP POST or SFTP.

Swedish recipients outside Peppol are often reached through their operator. Each operator is
configured by name (a recipient in the directory names its operator); the operator's answer is
the receipt: the HTTP response id, or for SFTP a pending confirmation settled later by its
acknowledgement file (``import_acknowledgements``). Settings, per operator::

    [channels.operator.operators.inexchange]
    transport = "http"                 # or "sftp"
    document = "svefaktura"            # or "ubl": which stored document is handed over
    url = "https://operator.example/api/invoices"
    token = "…"                        # bearer token; or username/password for basic auth
    timeout = 30
    # sftp: host, port, username, password or client_key, known_hosts, remote_dir, ack_dir

HTTP 2xx is delivered; 429 is rate limited (Retry-After honoured); 408, 5xx and connection
failures are transient; other 4xx are rejections (permanent → next channel in the plan).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from . import (
    DeliveryTimeout,
    Envelope,
    Evidence,
    LocalConfigurationError,
    RateLimited,
    Receipt,
    RemoteRejected,
    RemoteUnavailable,
)

MEDIA_TYPES = {"svefaktura": "application/xml", "ubl": "application/xml"}


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    """One operator's hand-off settings."""

    name: str
    transport: str
    document: str = "svefaktura"
    url: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    host: str | None = None
    port: int = 22
    client_key: str | None = None
    known_hosts: str | None = None
    remote_dir: str = "."
    ack_dir: str = "ack"

    @classmethod
    def parse(cls, name: str, raw: Mapping[str, Any]) -> OperatorConfig:
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        unknown = set(raw) - known
        if unknown:
            raise LocalConfigurationError(
                f"operator {name!r}: unknown setting(s) {sorted(unknown)}"
            )
        config = cls(name=name, **{k: raw[k] for k in raw})
        if config.transport not in ("http", "sftp"):
            raise LocalConfigurationError(f"operator {name!r}: transport must be 'http' or 'sftp'")
        if config.transport == "http" and not config.url:
            raise LocalConfigurationError(f"operator {name!r}: http transport needs 'url'")
        if config.transport == "sftp" and not (config.host and config.username):
            raise LocalConfigurationError(
                f"operator {name!r}: sftp transport needs 'host' and 'username'"
            )
        if config.document not in MEDIA_TYPES:
            raise LocalConfigurationError(
                f"operator {name!r}: document must be one of {sorted(MEDIA_TYPES)}"
            )
        return config


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """One line of an operator's acknowledgement file: our message id and its outcome."""

    message_id: str
    accepted: bool
    reason: str
    raw: bytes


class OperatorChannel:
    """Channel ``operator``: the document goes to the recipient's operator."""

    name = "operator"

    def __init__(self, operators: Mapping[str, OperatorConfig], default: str | None = None) -> None:
        if not operators:
            raise LocalConfigurationError("the operator channel has no operators configured")
        self.operators = dict(operators)
        self.default = default or next(iter(self.operators))

    def operator_for(self, envelope: Envelope) -> OperatorConfig:
        name = envelope.recipient.operator or self.default
        try:
            return self.operators[name]
        except KeyError:
            raise LocalConfigurationError(f"no operator named {name!r} is configured") from None

    async def send(self, envelope: Envelope) -> Receipt:
        operator = self.operator_for(envelope)
        document = envelope.document(operator.document)
        if operator.transport == "http":
            return await self._post(operator, envelope, document.content)
        from .operator_sftp import upload

        remote_path = await upload(operator, f"{envelope.message_id}.xml", document.content)
        return Receipt(
            channel=self.name,
            remote_id=remote_path,
            received_at=datetime.now(UTC),
            pending_confirmation=True,  # settled by the operator's acknowledgement file
            report={"operator": operator.name, "transport": "sftp"},
        )

    async def _post(self, operator: OperatorConfig, envelope: Envelope, body: bytes) -> Receipt:
        headers = {
            "Content-Type": MEDIA_TYPES[operator.document],
            "Idempotency-Key": envelope.message_id,
            "X-Message-Id": envelope.message_id,
        }
        if operator.token:
            headers["Authorization"] = f"Bearer {operator.token}"
        auth = (
            aiohttp.BasicAuth(operator.username, operator.password or "")
            if operator.username
            else None
        )
        timeout = aiohttp.ClientTimeout(total=operator.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(operator.url, data=body, headers=headers, auth=auth) as response,
            ):
                answer = await response.read()
                evidence = _http_evidence(response, answer)
                return _outcome(operator, response, answer, evidence)
        except TimeoutError as exc:
            raise DeliveryTimeout(
                f"operator {operator.name} did not answer in {operator.timeout:g} s"
            ) from exc
        except aiohttp.ClientError as exc:
            raise RemoteUnavailable(f"operator {operator.name} unreachable: {exc}") from exc

    async def collect_acknowledgements(self) -> list[tuple[str, bytes]]:
        """Acknowledgement files of every SFTP operator (HTTP operators answer synchronously)."""
        from .operator_sftp import collect_acknowledgements

        found: list[tuple[str, bytes]] = []
        for operator in self.operators.values():
            if operator.transport == "sftp":
                found += await collect_acknowledgements(operator)
        return found

    async def aclose(self) -> None:
        return None


def _outcome(
    operator: OperatorConfig, response: aiohttp.ClientResponse, answer: bytes, evidence: Evidence
) -> Receipt:
    status = response.status
    if 200 <= status < 300:
        return Receipt(
            channel="operator",
            remote_id=_remote_id(response, answer),
            received_at=datetime.now(UTC),
            evidence=(evidence,),
            report={"operator": operator.name, "transport": "http", "status": str(status)},
        )
    detail = answer[:500].decode("utf-8", "replace")
    if status == 429:
        raise RateLimited(
            f"operator {operator.name} asks to slow down",
            retry_after=_retry_after(response),
            evidence=(evidence,),
        )
    if status == 408 or status >= 500:
        raise RemoteUnavailable(
            f"operator {operator.name} answered {status}: {detail}", evidence=(evidence,)
        )
    raise RemoteRejected(
        f"operator {operator.name} rejected the document ({status}): {detail}", evidence=(evidence,)
    )


def _remote_id(response: aiohttp.ClientResponse, answer: bytes) -> str | None:
    if response.content_type == "application/json":
        try:
            data = json.loads(answer)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("id", "messageId", "message_id", "transactionId"):
                if data.get(key):
                    return str(data[key])
    location = response.headers.get("Location")
    if location:
        return location.rstrip("/").rsplit("/", 1)[-1]
    text = answer.decode("utf-8", "replace").strip()
    return text[:200] or None


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def _http_evidence(response: aiohttp.ClientResponse, answer: bytes) -> Evidence:
    head = f"HTTP/{response.version.major}.{response.version.minor} {response.status} {response.reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
    return Evidence(
        kind="operator-response",
        media_type="message/http",
        content=head.encode() + b"\r\n" + answer,
    )


def parse_acknowledgements(content: bytes) -> list[Acknowledgement]:
    """An acknowledgement file: CSV lines ``message_id;status;reason`` (status OK/ACCEPTED or not)."""
    text = content.decode("utf-8-sig", "replace")
    dialect = csv.excel if text.count(",") > text.count(";") else _Semicolon
    acks = []
    for row in csv.reader(io.StringIO(text), dialect):
        if (
            not row
            or not row[0].strip()
            or row[0].strip().lower() in ("message_id", "messageid", "id")
        ):
            continue
        status = row[1].strip().upper() if len(row) > 1 else ""
        reason = row[2].strip() if len(row) > 2 else ""
        line = (";".join(row)).encode()
        acks.append(
            Acknowledgement(
                row[0].strip(), status in ("OK", "ACCEPTED", "DELIVERED", "AP"), reason, line
            )
        )
    return acks


class _Semicolon(csv.excel):
    delimiter = ";"


def build(config: Mapping[str, Any], *, settings: Any = None) -> OperatorChannel:
    """The channel from its ``[channels.operator]`` settings."""
    raw_operators = config.get("operators") or {}
    if not isinstance(raw_operators, Mapping):
        raise LocalConfigurationError("channels.operator.operators must be a table of operators")
    operators = {name: OperatorConfig.parse(name, raw) for name, raw in raw_operators.items()}
    return OperatorChannel(operators, default=config.get("default"))


__all__ = [
    "Acknowledgement",
    "OperatorChannel",
    "OperatorConfig",
    "build",
    "parse_acknowledgements",
]
