"""Accepting an invoice: parse → complete → validate → route → render → store (one transaction).

Everything that can reject the invoice happens before the ledger is touched, so a 4xx never
leaves anything half-stored; the 202 is sent only after ``Ledger.accept`` has committed.
Documents are rendered once here and stored: every delivery attempt sends the same bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from formats.convert import MEDIA_TYPES, write
from formats.errors import FormatError
from formats.model import PEPPOL_BIS3_CUSTOMIZATION, PEPPOL_BIS3_PROFILE, Invoice, complete
from formats.peppol.rules import check

from . import routing
from .channels import DOCUMENT_FOR
from .intake import Problem, ReadResult, parse
from .ledger import Acceptance, AcceptResult, Ledger, RenderedDocument, Tenant
from .receivables.terms import customer_of, reference_of, with_reference

log = logging.getLogger("fakturaport.submit")

#: Renders that are CPU-heavy go to a process pool; the rest run inline.
_HEAVY = {"pdf"}
_EXTENSION = {"ubl": "xml", "svefaktura": "xml", "cii": "xml", "pdf": "pdf"}


@dataclass(frozen=True, slots=True)
class Submitted:
    result: AcceptResult
    plan: tuple[str, ...]
    warnings: tuple[dict, ...]


def as_peppol_bis(invoice: Invoice) -> Invoice:
    """The invoice as a Peppol BIS Billing 3.0 document (specification and process identifiers)."""
    if (invoice.customization_id or "").startswith(PEPPOL_BIS3_CUSTOMIZATION):
        return invoice
    return replace(
        invoice,
        customization_id=PEPPOL_BIS3_CUSTOMIZATION,
        profile_id=invoice.profile_id or PEPPOL_BIS3_PROFILE,
    )


def finding_dict(f) -> dict:
    return {
        "rule": f.rule,
        "flag": str(f.flag),
        "message": f.message,
        "pointer": f.path or None,
        "location": f.location,
    }


async def submit(
    ledger: Ledger,
    tenant: Tenant,
    body: bytes,
    content_type: str | None,
    *,
    idempotency_key: str | None,
    configured: Mapping[str, str],
    default_plan: Sequence[str],
    plan_override: Sequence[str] | None = None,
    executor: Executor | None = None,
) -> Submitted:
    source = parse(body, content_type)
    completed = with_reference(complete(source.invoice))
    buyer_keys = routing.lookup_keys(completed)
    # A plan made from a cached directory entry is stored only while the directory is unchanged
    # (see ledger/directory_cache.py): when it has changed, the invoice is routed again from a
    # fresh lookup, and the last time stored whatever the directory has become meanwhile. A
    # refusal made from a cached entry (no channel, the rules of its channels) stands only if
    # the directory still reads the same.
    lookup = await ledger.directory_lookup(tenant.id, buyer_keys)
    for routing_round in range(1, _ROUTING_ROUNDS + 1):
        last = routing_round == _ROUTING_ROUNDS
        try:
            submitted = await _route_and_accept(
                ledger,
                tenant,
                source,
                completed,
                body,
                content_type,
                buyer_keys,
                lookup.entry,
                directory_version=None if last else lookup.version,
                idempotency_key=idempotency_key,
                configured=configured,
                default_plan=default_plan,
                plan_override=plan_override,
                executor=executor,
            )
        except Problem:
            if lookup.version is None or last:
                raise
            fresh = await ledger.directory_lookup(tenant.id, buyer_keys, fresh=True)
            if fresh.version == lookup.version:
                raise
            lookup = fresh
            continue
        if not submitted.result.directory_changed:
            break
        lookup = await ledger.directory_lookup(tenant.id, buyer_keys, fresh=True)
    if submitted.result.conflict:
        raise Problem(
            409,
            "Idempotency key reused",
            "this Idempotency-Key was used before with a different request body",
            kind="/problems/idempotency-conflict",
        )
    return submitted


#: How many times an invoice is routed at most when the directory changes under it.
_ROUTING_ROUNDS = 3


async def _route_and_accept(
    ledger: Ledger,
    tenant: Tenant,
    source: ReadResult,
    invoice: Invoice,
    body: bytes,
    content_type: str | None,
    buyer_keys: Sequence[str],
    entry: Mapping[str, Any] | None,
    *,
    directory_version: int | None,
    idempotency_key: str | None,
    configured: Mapping[str, str],
    default_plan: Sequence[str],
    plan_override: Sequence[str] | None,
    executor: Executor | None,
) -> Submitted:
    """Plan, rules, documents and the acceptance, for ``invoice`` routed by ``entry`` (the
    directory's, under the first of ``buyer_keys`` that has one). Every Problem it raises
    comes before anything is stored."""
    try:
        route = routing.plan(
            invoice, entry, configured=configured, default=default_plan, override=plan_override
        )
    except routing.NoRoute as exc:
        raise Problem(422, "No delivery channel", str(exc), kind="/problems/no-route") from exc
    # EN 16931 always; the Peppol BIS rules when the invoice leaves over Peppol, which also makes
    # a CII or Svefaktura source a BIS 3.0 document (its specification and process identifiers).
    over_peppol = any(configured.get(name) == "peppol" for name in route.plan)
    if over_peppol:
        invoice = as_peppol_bis(invoice)
    rulesets = (
        ("en16931", "peppol") if over_peppol or source.syntax in ("ubl", "json") else ("en16931",)
    )
    # Rules judge the completed invoice; locations still point into what the caller sent.
    findings = check(replace(source, invoice=invoice), rulesets=rulesets)
    fatal = [f for f in findings if f.is_fatal]
    if fatal:
        raise Problem(
            422,
            "The invoice breaks business rules",
            f"{len(fatal)} fatal finding(s): {', '.join(sorted({f.rule for f in fatal}))}",
            kind="/problems/invalid-invoice",
            errors=tuple(finding_dict(f) for f in findings),
        )
    documents = await _render(invoice, body, content_type, route.plan, configured, executor)
    key = idempotency_key or hashlib.sha256(body).hexdigest()
    body_hash = hashlib.sha256(body + b"\0" + ",".join(plan_override or ()).encode()).hexdigest()
    result = await ledger.accept(
        Acceptance(
            tenant_id=tenant.id,
            idempotency_key=key,
            body_hash=body_hash,
            number=invoice.number,
            kind=str(invoice.kind),
            buyer_name=invoice.buyer.name if invoice.buyer else None,
            seller_name=invoice.seller.name if invoice.seller else None,
            receivable={
                "reference": reference_of(invoice),
                "customer": customer_of(invoice),
                "customer_type": (entry or {}).get("customer_type") or "company",
            },
            buyer_key=buyer_keys[0] if buyer_keys else None,
            currency=invoice.currency,
            payable=format(invoice.totals.payable, "f")
            if invoice.totals and invoice.totals.payable is not None
            else None,
            due_date=invoice.due_date.isoformat() if invoice.due_date else None,
            plan=route.plan,
            recipient={**route.recipient, **_sender_of(invoice, tenant)},
            documents=documents,
            detail={"syntax": source.syntax, "skipped_channels": dict(route.skipped)},
            directory_version=directory_version,
        )
    )
    warnings = tuple(finding_dict(f) for f in findings if not f.is_fatal)
    return Submitted(result, route.plan, warnings)


def _sender_of(invoice: Invoice, tenant: Tenant) -> dict[str, str | None]:
    """Who the invoice is from on the networks: the seller's electronic address (BT-34), else the
    tenant's own Peppol id; and the seller's country (the SBDH COUNTRY_C1)."""
    seller = invoice.seller
    endpoint = seller.electronic_address if seller else None
    own = f"{endpoint.scheme}:{endpoint.value}" if endpoint and endpoint.scheme else None
    country = seller.address.country_code if seller and seller.address else None
    return {"sender_peppol_id": own or tenant.peppol_id, "sender_country": country}


async def _render(
    invoice: Invoice,
    body: bytes,
    content_type: str | None,
    plan: Sequence[str],
    configured: Mapping[str, str],
    executor: Executor | None,
) -> tuple[RenderedDocument, ...]:
    media = (content_type or "application/octet-stream").split(";")[0].strip()
    docs = [RenderedDocument("original", media, body, "original")]
    kinds = {"ubl"} | {DOCUMENT_FOR.get(configured[name], "ubl") for name in plan}
    loop = asyncio.get_running_loop()
    for kind in sorted(kinds):
        target = "peppol" if kind == "ubl" else kind
        try:
            if kind in _HEAVY and executor is not None:
                content = await loop.run_in_executor(executor, write, invoice, target)
            else:
                # Well under a millisecond and holding the GIL throughout: a thread would only
                # add a hand-over to the latency.
                content = write(invoice, target)
        except FormatError as exc:
            raise Problem(
                422,
                f"The invoice cannot be rendered as {kind}",
                str(exc),
                kind="/problems/render-failed",
                errors=(
                    {"message": exc.message, "pointer": exc.location, "location": exc.location},
                ),
            ) from exc
        docs.append(
            RenderedDocument(
                kind,
                MEDIA_TYPES[target],
                content,
                f"{invoice.number or 'invoice'}.{_EXTENSION[kind]}",
            )
        )
    return tuple(docs)
