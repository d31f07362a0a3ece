"""The Fakturaport service: intake, ledger, routing, workers, HTTP API and dashboard."""
