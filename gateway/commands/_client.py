"""A small HTTP client for the commands that talk to a running gateway."""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from typing import Any


def add_connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--url",
        default=os.environ.get("FAKTURAPORT_URL", "http://127.0.0.1:8080"),
        help="gateway base URL",
    )
    p.add_argument(
        "--api-key",
        default=os.environ.get("FAKTURAPORT_API_KEY"),
        help="tenant API key (or FAKTURAPORT_API_KEY)",
    )


def request(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
) -> tuple[int, Any]:
    if not args.url.startswith(("http://", "https://")):
        raise urllib.error.URLError(f"--url must be an http(s) URL, got {args.url!r}")
    req = urllib.request.Request(args.url.rstrip("/") + path, data=body, method=method)  # noqa: S310 - scheme checked above
    req.add_header("Authorization", f"Bearer {args.api_key}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310 - scheme checked above
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {"detail": raw.decode("utf-8", "replace")}
