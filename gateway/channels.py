"""Channels by name, built from settings: module ``channels.<module>`` exposes ``build``.

A ``[channels.<name>]`` table may name another module with ``type`` (e.g. two spool folders,
or ``type = "memory"`` in tests); otherwise the name is the module.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from channels import Channel, LocalConfigurationError

from .settings import Settings

#: The document each channel type hands over; rendered at acceptance and stored.
DOCUMENT_FOR = {
    "peppol": "ubl",
    "spool": "ubl",
    "memory": "ubl",
    "email": "pdf",
    "print": "pdf",
    "operator": "svefaktura",
}
#: What a channel type needs to know about the recipient to be in a plan at all.
NEEDS = {"peppol": "peppol_id", "email": "email", "print": "postal", "operator": "operator"}

_POLICY_KEYS = {
    "max_attempts",
    "deadline_seconds",
    "sla_seconds",
    "backoff_initial",
    "backoff_max",
    "type",
}


def channel_type(settings: Settings, name: str) -> str:
    return str(settings.channels.get(name, {}).get("type", name))


def build_channels(settings: Settings) -> dict[str, Channel]:
    built: dict[str, Channel] = {}
    for name, config in settings.channels.items():
        kind = channel_type(settings, name)
        try:
            module = importlib.import_module(f"channels.{kind}")
        except ImportError as exc:
            raise LocalConfigurationError(
                f"channel {name!r}: no channel type {kind!r} ({exc})"
            ) from exc
        own: Mapping[str, Any] = {k: v for k, v in config.items() if k not in _POLICY_KEYS}
        channel = module.build(own, settings=settings)
        channel.name = name
        built[name] = channel
    return built
