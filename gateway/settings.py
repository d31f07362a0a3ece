"""One frozen settings tree from a TOML file and ``FAKTURAPORT_*`` environment variables.

This module is the only reader of the environment and of configuration files; everything else
receives a ``Settings``. Environment variables win over the file. Unknown keys and wrong types
are errors that name the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting is missing, unknown or of the wrong type; the message names the key."""


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    concurrency: int = 8  #: deliveries in flight per process
    lease_seconds: float = 120.0  #: a claimed delivery returns to the queue after this
    poll_seconds: float = 0.5  #: how often an idle worker looks for due deliveries
    batch: int = 16  #: deliveries claimed per query


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """Retry and SLA policy of one channel (``[channels.<name>]``)."""

    max_attempts: int = 8
    deadline_seconds: float = 2 * 24 * 3600.0  #: give up retrying after this long
    sla_seconds: float = 4 * 3600.0  #: not delivered by then → overdue
    backoff_initial: float = 30.0
    backoff_max: float = 3600.0


@dataclass(frozen=True, slots=True)
class ReceivablesSettings:
    """Reminders (``[receivables]``)."""

    #: how often the server runs the reminder job; 0 = never (run it by CLI, API or cron).
    #: Off by default: dunning a tenant's customers must be switched on deliberately.
    reminders_every_seconds: float = 0.0
    reminder_fee_agreed: bool = False  #: a reminder fee was agreed with the customers
    reminder_fee: str = "60"  #: capped at the statutory 60 kr
    pay_within_days: int = 10  #: the reminder's "pay by" date, from the day it is issued


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var")
    listen: str = "127.0.0.1:8080"
    #: server processes sharing the listening port (SO_REUSEPORT); each accepts and delivers,
    #: the first also runs the background jobs. Python runs one core per process.
    processes: int = 1
    database_url: str = ""  #: default: SQLite under data_dir
    max_body_bytes: int = 10 * 1024 * 1024
    default_plan: tuple[str, ...] = ("spool",)
    public_url: str = ""  #: how the gateway is reached, for links in webhooks and emails
    log_level: str = "INFO"
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    receivables: ReceivablesSettings = field(default_factory=ReceivablesSettings)
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: {"spool": {}})
    webhook_timeout: float = 10.0
    ack_poll_seconds: float = 60.0  #: how often print/operator acknowledgement files are collected

    @property
    def db_url(self) -> str:
        return (
            self.database_url
            or f"sqlite+aiosqlite:///{(self.data_dir / 'fakturaport.db').resolve()}"
        )

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host or "127.0.0.1", int(port)

    def policy(self, channel: str) -> ChannelPolicy:
        raw = self.channels.get(channel, {})
        known = ChannelPolicy.__dataclass_fields__
        return ChannelPolicy(
            **{
                k: _coerce(f"channels.{channel}.{k}", v, type(getattr(ChannelPolicy, k)))
                for k, v in raw.items()
                if k in known
            }
        )


_ENV = {
    "FAKTURAPORT_DATA_DIR": "data_dir",
    "FAKTURAPORT_LISTEN": "listen",
    "FAKTURAPORT_PROCESSES": "processes",
    "FAKTURAPORT_DATABASE_URL": "database_url",
    "FAKTURAPORT_MAX_BODY_BYTES": "max_body_bytes",
    "FAKTURAPORT_DEFAULT_PLAN": "default_plan",
    "FAKTURAPORT_PUBLIC_URL": "public_url",
    "FAKTURAPORT_LOG_LEVEL": "log_level",
    "FAKTURAPORT_WORKER_CONCURRENCY": "worker.concurrency",
    "FAKTURAPORT_LEASE_SECONDS": "worker.lease_seconds",
    "FAKTURAPORT_POLL_SECONDS": "worker.poll_seconds",
}


def load_settings(
    config_path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    path = config_path or environ.get("FAKTURAPORT_CONFIG")
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text("utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc
    for env, key in _ENV.items():
        if env in environ:
            section, _, name = key.rpartition(".")
            target = raw.setdefault(section, {}) if section else raw
            target[name] = environ[env]
    return _build(raw)


def _build(raw: Mapping[str, Any]) -> Settings:
    known = Settings.__dataclass_fields__
    unknown = set(raw) - set(known)
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "worker":
            values[key] = _section(WorkerSettings, "worker", value)
        elif key == "receivables":
            values[key] = _section(ReceivablesSettings, "receivables", value)
        elif key == "channels":
            if not isinstance(value, Mapping):
                raise SettingsError("channels must be a table of [channels.<name>] tables")
            values[key] = {name: dict(conf) for name, conf in value.items()}
        elif key == "default_plan":
            plan = value.split(",") if isinstance(value, str) else value
            values[key] = tuple(p.strip() for p in plan if p.strip())
        else:
            values[key] = _coerce(key, value, type(getattr(Settings(), key)))
    settings = Settings(**values)
    if settings.database_url:
        from .ledger import url_problem  # the ledger knows what it can be kept in

        problem = url_problem(settings.database_url)
        if problem is not None:
            raise SettingsError(f"setting database_url: {problem}")
    for name in settings.default_plan:
        if name not in settings.channels:
            settings = Settings(
                **{**_as_dict(settings), "channels": {**settings.channels, name: {}}}
            )
    return settings


def _as_dict(settings: Settings) -> dict[str, Any]:
    return {k: getattr(settings, k) for k in Settings.__dataclass_fields__}


def _section(cls: type, name: str, value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise SettingsError(f"{name} must be a table")
    known = cls.__dataclass_fields__
    unknown = set(value) - set(known)
    if unknown:
        raise SettingsError(f"unknown setting(s) in {name}: {', '.join(sorted(unknown))}")
    defaults = cls()
    return cls(
        **{k: _coerce(f"{name}.{k}", v, type(getattr(defaults, k))) for k, v in value.items()}
    )


def _coerce(key: str, value: Any, kind: type) -> Any:
    try:
        if kind is Path or issubclass(kind, Path):
            return Path(value)
        if kind is bool:
            return (
                value
                if isinstance(value, bool)
                else str(value).lower() in ("1", "true", "yes", "on")
            )
        if kind in (int, float):
            return kind(value)
        if kind is str:
            if not isinstance(value, str):
                raise TypeError
            return value
        return value
    except (TypeError, ValueError):
        raise SettingsError(f"setting {key} must be {kind.__name__}, got {value!r}") from None
