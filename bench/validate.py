"""Native validation next to the official-rules oracle on the same invoices, in one run.

Per-invoice medians for both, the ratio, and whether the verdicts (valid/invalid) are identical.
Invoices: every official UBL example plus generated variants with broken totals and codes.
Target: >= 20x faster than the oracle with identical verdicts.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SHARED / "tools"))

from formats.peppol.rules import check  # noqa: E402
from formats.peppol.ubl_read import read  # noqa: E402


def documents() -> list[tuple[str, bytes]]:
    docs = []
    for folder in ("peppol-bis-invoice-3-3.0.21/examples", "peppol-bis-invoice-3/rules/examples"):
        for path in sorted((SHARED / "conformance" / folder).glob("*.xml")):
            data = path.read_bytes()
            docs.append((path.name, data))
            docs.append(
                (
                    f"{path.name}+broken-total",
                    data.replace(
                        b"<cbc:PayableAmount", b"<cbc:PayableAmount data-x='1'", 1
                    ).replace(b"</cbc:PayableAmount>", b"1</cbc:PayableAmount>", 1),
                )
            )
            docs.append(
                (
                    f"{path.name}+bad-currency",
                    data.replace(b"<cbc:DocumentCurrencyCode>", b"<cbc:DocumentCurrencyCode>X", 1),
                )
            )
    return docs


def main() -> None:
    from oracle import Oracle

    oracle = Oracle()
    native_ms, oracle_ms, agree, total = [], [], 0, 0
    for name, data in documents():
        start = time.perf_counter()
        try:
            native_valid = not any(f.is_fatal for f in check(read(data)))
        except Exception:
            native_valid = False
        native_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        official_valid = oracle.validate_bytes(data, name=name).valid
        oracle_ms.append((time.perf_counter() - start) * 1000)
        total += 1
        agree += native_valid == official_valid
    n, o = statistics.median(native_ms), statistics.median(oracle_ms)
    print(
        f"{total} invoices: native median {n:.2f} ms, oracle median {o:.2f} ms, native is {o / n:.1f}x faster"
    )
    print(f"identical verdicts: {agree}/{total}")


if __name__ == "__main__":
    main()
