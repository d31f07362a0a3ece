"""Payments matched per second: a BgMax file of 100,000 payments against 1,000,000 open items.

The file is generated in the BgMax layout and parsed by the real parser; the reference rate is
parsing alone, in the same run. Prints matched/s, the share matched by reference, and peak RSS.
Target: >= 50,000 payments/s.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formats.bank.bgmax import parse
from gateway.receivables.matching import IncomingPayment, Matcher, OpenItem
from gateway.receivables.references import ocr


def bgmax(payments: int) -> bytes:
    lines = [
        "01BGMAX               0120261120064512123456P".ljust(80),
        "050009912346".ljust(22) + "SEK".ljust(58),
    ]
    for n in range(payments):
        reference = ocr(str(100000 + n * 7))
        lines.append(
            (
                "20"
                + "0000505010"
                + reference.ljust(25)
                + f"{(n % 9000 + 100) * 100:018d}"
                + "21"
                + f"{n:012d}"
                + "0"
            ).ljust(80)
        )
    lines.append(
        (
            "15"
            + "SE4550000000058398257466".ljust(35)
            + "20261120"
            + "00001"
            + f"{0:018d}"
            + "SEK"
            + f"{payments:08d}"
        ).ljust(80)
    )
    lines.append(("70" + f"{payments:08d}" + "0" * 8 + "0" * 8 + "00000001").ljust(80))
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    data = bgmax(args.payments)
    items = (
        OpenItem(str(n), ocr(str(100000 + n * 7)), None, "SEK", Decimal(n % 9000 + 100))
        for n in range(args.items)
    )
    start = time.perf_counter()
    matcher = Matcher.of(items)
    indexed = time.perf_counter() - start
    start = time.perf_counter()
    file = parse(data)
    parsed = time.perf_counter() - start
    payments = [
        IncomingPayment(p.serial, p.amount, p.currency, p.reference, p.payer_org_number)
        for p in file.payments
    ]
    start = time.perf_counter()
    matches = matcher.match_all(payments)
    matched = time.perf_counter() - start
    by_reference = sum(1 for m in matches if m.kind == "reference")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(payments)} payments against {args.items} open items")
    print(f"  index open items   {indexed:6.2f} s")
    print(f"  parse BgMax        {len(payments) / parsed:10.0f} payments/s (reference)")
    print(
        f"  match              {len(payments) / matched:10.0f} payments/s   target >= 50000/s   ({by_reference} by reference)"
    )
    print(f"  parse + match      {len(payments) / (parsed + matched):10.0f} payments/s")
    print(f"  peak RSS           {rss:6.0f} MB")


if __name__ == "__main__":
    main()
