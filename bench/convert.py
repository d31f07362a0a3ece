"""Conversions per second between syntaxes on a 20-line invoice, next to bare lxml.

For each source → target pair: read the source bytes into the model and write the target, timed
over repeated runs; the reference is lxml parsing and serialising the same source bytes in the
same run, so the ratio is what the model round trip costs on top of XML handling itself.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.svefaktura_samples import invoice, line

SYNTAXES = {
    "cii": ("formats.cii", "read", "write"),
    "svefaktura": ("formats.svefaktura", "read", "write"),
    "peppol": ("formats.peppol.ubl_read", "read", None),
}


def _codecs() -> dict[str, tuple[Callable, Callable | None]]:
    found = {}
    for name, (module, reader, writer) in SYNTAXES.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        write = getattr(mod, writer) if writer else None
        if name == "peppol":
            try:
                write = importlib.import_module("formats.peppol.ubl_write").write
            except ImportError:
                continue
        found[name] = (getattr(mod, reader), write)
    return found


def _rate(fn: Callable[[], object], seconds: float = 0.6) -> float:
    """Operations per second: the median of five timed batches."""
    fn()
    batch, rates = 1, []
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        if time.perf_counter() - start > seconds / 5:
            break
        batch *= 2
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        rates.append(batch / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    model = invoice(lines=tuple(line(n, str(n), f"{10 + n}.50") for n in range(1, 21)))
    assert model.totals.payable > Decimal(0)
    codecs = _codecs()
    print(f"{'source → target':<26}{'conv/s':>10}{'lxml/s':>10}{'ratio':>8}")
    for source, (read, _) in codecs.items():
        data = codecs[source][1](model)
        reference = _rate(lambda data=data: etree.tostring(etree.fromstring(data)))
        for target, (_, write) in codecs.items():
            rate = _rate(lambda data=data, read=read, write=write: write(read(data).invoice))
            print(
                f"{source + ' → ' + target:<26}{rate:>10.0f}{reference:>10.0f}{reference / rate:>7.1f}x"
            )


if __name__ == "__main__":
    main()
