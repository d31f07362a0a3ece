"""UBL writes and reads per second for a 20-line invoice on one core, next to lxml alone.

The reference is lxml serialising the same (pre-built) tree: the ratio shows what building the
document from the model costs on top of serialisation. Target: >= 2,000 writes/s.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formats.model import complete
from formats.peppol.ubl_read import read
from formats.peppol.ubl_write import write
from tests.svefaktura_samples import invoice, line


def rate(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Operations per second: the median of five timed batches."""
    fn()
    batch = 1
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        if time.perf_counter() - start > seconds / 5:
            break
        batch *= 2
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        rates.append(batch / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    model = complete(invoice(lines=tuple(line(n, str(n), f"{10 + n}.50") for n in range(1, 21))))
    data = write(model)
    tree = etree.fromstring(data)
    writes = rate(lambda: write(model))
    reads = rate(lambda: read(data))
    serialise = rate(lambda: etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    parse = rate(lambda: etree.fromstring(data))
    print(f"20-line invoice, {len(data)} bytes")
    print(
        f"write  {writes:8.0f}/s   lxml serialise {serialise:8.0f}/s   ratio {serialise / writes:5.1f}x   target >= 2000/s"
    )
    print(f"read   {reads:8.0f}/s   lxml parse     {parse:8.0f}/s   ratio {parse / reads:5.1f}x")


if __name__ == "__main__":
    main()
