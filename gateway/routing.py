"""Routing: who the buyer is in the tenant's directory and which channels, in order, reach them.

Pure: the caller looks the entry up (``lookup_keys``) and passes it in. The plan is the request's
override, else the directory entry's preference, else the tenant default; channels that are not
configured or cannot reach this recipient (no Peppol id, no email, no postal address, no
operator) are left out with the reason, and an empty plan is an error before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from formats.model import Invoice

from .channels import NEEDS


class NoRoute(ValueError):
    """No configured channel can reach the recipient; ``reasons`` says why for each one."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        detail = (
            "; ".join(f"{name}: {why}" for name, why in reasons.items())
            or "no channel is configured"
        )
        super().__init__(f"no channel can deliver to this recipient ({detail})")
        self.reasons = dict(reasons)


@dataclass(frozen=True, slots=True)
class Route:
    plan: tuple[str, ...]
    recipient: Mapping[str, Any]  #: peppol_id, email, postal, operator, language, name
    skipped: Mapping[str, str] = field(default_factory=dict)


def lookup_keys(invoice: Invoice) -> list[str]:
    """Directory keys of the buyer, most specific first: endpoint id, legal id, VAT id."""
    buyer = invoice.buyer
    if buyer is None:
        return []
    keys = []
    if buyer.electronic_address:
        keys.append(_key(buyer.electronic_address.scheme, buyer.electronic_address.value))
    if buyer.legal_registration_id:
        keys.append(_key(buyer.legal_registration_id.scheme, buyer.legal_registration_id.value))
    if buyer.vat_id:
        keys.append(buyer.vat_id.replace(" ", "").upper())
    return [k for k in keys if k]


def _key(scheme: str | None, value: str | None) -> str:
    if not value:
        return ""
    return f"{scheme}:{value}".lower() if scheme else value.lower()


_LANGUAGES = {"SE": "sv", "NO": "nb", "DK": "da", "FI": "fi"}


def recipient_of(invoice: Invoice, entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the channels need to know, from the directory entry first, the invoice second."""
    entry = entry or {}
    buyer = invoice.buyer
    endpoint = buyer.electronic_address if buyer else None
    address = buyer.address if buyer else None
    postal = entry.get("postal")
    if postal is None and address is not None and address.line1 and address.city:
        postal = {
            "name": buyer.name,
            "lines": [line for line in (address.line1, address.line2, address.line3) if line],
            "post_code": address.post_code,
            "city": address.city,
            "country": address.country_code,
        }
    country = address.country_code if address else None
    return {
        "name": entry.get("name") or (buyer.name if buyer else None),
        "peppol_id": entry.get("peppol_id")
        or (f"{endpoint.scheme}:{endpoint.value}" if endpoint and endpoint.scheme else None),
        "email": entry.get("email") or (buyer.contact.email if buyer and buyer.contact else None),
        "postal": postal,
        "operator": entry.get("operator"),
        "language": entry.get("language") or _LANGUAGES.get(country or "", "en"),
    }


def plan(
    invoice: Invoice,
    entry: Mapping[str, Any] | None,
    *,
    configured: Mapping[str, str],
    default: Sequence[str],
    override: Sequence[str] | None = None,
) -> Route:
    """``configured`` maps channel name → channel type (spool, peppol, email, …)."""
    recipient = recipient_of(invoice, entry)
    wanted = list(override or (entry or {}).get("plan") or default)
    chosen: list[str] = []
    skipped: dict[str, str] = {}
    for name in wanted:
        if name in chosen:
            continue
        kind = configured.get(name)
        if kind is None:
            skipped[name] = "not configured on this gateway"
            continue
        need = NEEDS.get(kind)
        if need and not recipient.get(need):
            skipped[name] = f"the recipient has no {need.replace('_', ' ')}"
            continue
        chosen.append(name)
    if not chosen:
        raise NoRoute(skipped)
    return Route(tuple(chosen), recipient, skipped)
