"""The OpenAPI 3.1 document of the HTTP API, built from the registered routes.

Each route's summary and responses are declared here; a route without a description is listed
as such, and a test fails on it, so the document cannot fall behind the code.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

_PROBLEM = {
    "description": "problem+json (RFC 9457)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_OK = {"description": "OK", "content": {"application/json": {}}}

DESCRIPTIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/invoices"): {
        "summary": "Submit an invoice (canonical JSON, UBL, CII, Svefaktura or Factur-X PDF; detected by content)",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "schema": {"type": "string"},
                "description": "same key + same body → same invoice; different body → 409",
            },
            {
                "name": "plan",
                "in": "query",
                "schema": {"type": "string"},
                "description": "comma-separated channels overriding the routing plan",
            },
        ],
        "requestBody": {
            "content": {t: {} for t in ("application/json", "application/xml", "application/pdf")}
        },
        "responses": {
            "202": {"description": "stored; delivery tracked from now on"},
            "200": {"description": "a replay of an accepted request"},
            "401": _PROBLEM,
            "409": _PROBLEM,
            "413": _PROBLEM,
            "415": _PROBLEM,
            "422": _PROBLEM,
        },
    },
    ("GET", "/v1/invoices"): {
        "summary": "List invoices (filters: status, channel, since, until, q; cursor pagination)"
    },
    ("GET", "/v1/invoices/{id}"): {
        "summary": "An invoice: state, plan, deliveries and their attempts"
    },
    ("GET", "/v1/invoices/{id}/events"): {"summary": "The invoice's append-only event history"},
    ("GET", "/v1/invoices/{id}/documents/{kind}"): {
        "summary": "A stored document: original, ubl, pdf, svefaktura, cii"
    },
    ("GET", "/v1/invoices/{id}/evidence"): {
        "summary": "Receipts and evidence of delivery (base64)"
    },
    ("POST", "/v1/invoices/{id}/retry"): {"summary": "Deliver again on the current channel"},
    ("POST", "/v1/invoices/{id}/redirect"): {
        "summary": 'Deliver through another channel: {"channel": "email"}; 409 while an attempt is under way',
        "responses": {
            "202": {"description": "the new channel's delivery is queued"},
            "400": _PROBLEM,
            "401": _PROBLEM,
            "404": _PROBLEM,
            "409": _PROBLEM,
            "422": _PROBLEM,
        },
    },
    ("GET", "/v1/recipients"): {"summary": "The tenant's recipient directory"},
    ("PUT", "/v1/recipients/{key}"): {
        "summary": "Create or replace a directory entry (key: endpoint id, legal id or VAT id)"
    },
    ("DELETE", "/v1/recipients/{key}"): {"summary": "Remove a directory entry"},
    ("GET", "/v1/reports/reconciliation"): {
        "summary": "Counts per state and the check accepted = delivered + failed + in flight"
    },
    ("GET", "/v1/events"): {
        "summary": "Event feed after a cursor (the pull alternative to webhooks)"
    },
    ("GET", "/v1/webhooks"): {"summary": "Webhook endpoints"},
    ("POST", "/v1/webhooks"): {
        "summary": "Add a webhook endpoint; the signing secret is returned once"
    },
    ("DELETE", "/v1/webhooks/{id}"): {"summary": "Remove a webhook endpoint"},
    ("POST", "/v1/payments/import"): {
        "summary": "Import a BgMax or camt.054 payment file; payments are matched to open items (idempotent)"
    },
    ("GET", "/v1/payments"): {
        "summary": "Imported payments (state=unmatched for those needing a person)"
    },
    ("POST", "/v1/payments/{id}/assign"): {
        "summary": 'Assign an unmatched payment to an invoice: {"invoice_id": …}'
    },
    ("GET", "/v1/receivables/ageing"): {
        "summary": "Ageing report: open amounts by days overdue, per customer and in total"
    },
    ("GET", "/v1/receivables/reminders-due"): {
        "summary": "Reminders due today with interest and fees to date"
    },
    ("POST", "/v1/receivables/reminders/run"): {
        "summary": "Issue the reminders due on ?date= (default today) and queue them on each customer's channel; repeating it sends nothing twice"
    },
    ("GET", "/v1/receivables/{invoice_id}/reminders"): {
        "summary": "An item's reminders: level, amounts with their basis, deliveries and receipts"
    },
    ("POST", "/v1/receivables/{invoice_id}/collection"): {
        "summary": "Hand the item to collection after the final notice and its grace period: the case file (JSON, or ?format=csv); 409 when not yet eligible"
    },
    ("GET", "/v1/receivables/{invoice_id}/collection"): {
        "summary": "The collection case file as handed over (JSON, or ?format=csv)"
    },
    ("POST", "/v1/receivables/{invoice_id}/write-off"): {
        "summary": 'Write the item\'s open amount off ({"reason": …}); pending reminders stop'
    },
    ("GET", "/v1/receivables/{invoice_id}"): {
        "summary": "The open item of an invoice: amount, open amount, state, reference"
    },
    ("GET", "/v1/recipients/lookup"): {
        "summary": "Pre-flight: is a participant on Peppol (invoices, credit notes), through which access point, and which channel would be used"
    },
    ("GET", "/v1/inbox"): {"summary": "Documents received over Peppol"},
    ("GET", "/v1/inbox/{id}"): {
        "summary": "A received document (the SBDH-wrapped business document)"
    },
    ("POST", "/v1/inbox/{id}/ack"): {"summary": "Acknowledge a received document"},
    ("POST", "/as4"): {
        "summary": "Peppol AS4 inbound (receiving access point): signed and encrypted ebMS3 messages",
        "security": [],
    },
    ("GET", "/v1/schema/invoice.json"): {
        "summary": "JSON Schema of the canonical invoice",
        "security": [],
    },
    ("GET", "/v1/openapi.json"): {"summary": "This document", "security": []},
    ("GET", "/healthz"): {"summary": "Health: the database answers", "security": []},
    ("GET", "/metrics"): {"summary": "Prometheus metrics", "security": []},
}


def described_routes(app: web.Application) -> list[tuple[str, str]]:
    """The HTTP API's routes; the dashboard (/ui) is HTML for people and not part of it."""
    found = []
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS") or route.resource is None:
            continue
        path = route.resource.canonical
        if path == "/" or path.startswith("/ui"):
            continue
        found.append((route.method, path))
    return found


def document(app: web.Application) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in described_routes(app):
        spec = dict(DESCRIPTIONS.get((method, path), {"summary": "UNDOCUMENTED"}))
        spec.setdefault("responses", {"200": _OK, "401": _PROBLEM, "404": _PROBLEM})
        params = [
            {"name": p[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for p in path.split("/")
            if p.startswith("{")
        ]
        if params:
            spec["parameters"] = params + spec.get("parameters", [])
        paths.setdefault(path, {})[method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Fakturaport API",
            "version": "1",
            "description": "E-invoicing gateway: submit, track, deliver.",
        },
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
        },
    }
