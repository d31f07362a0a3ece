"""Invoice PDFs per second on two cores, next to bare WeasyPrint rendering the same HTML.

Both run in a two-process pool over the same work; the ratio is what the model, templating and
PDF/A-3 embedding add on top of WeasyPrint itself. Targets: within 15 %, >= 10 one-page/s.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formats.pdf import render_html, render_pdf
from tests.svefaktura_samples import invoice, line


def ours(lines: int) -> int:
    return len(render_pdf(invoice(lines=tuple(line(n, "1", "10") for n in range(1, lines + 1)))))


def bare(html: str) -> int:
    import weasyprint

    return len(weasyprint.HTML(string=html).write_pdf())


def rate(pool: ProcessPoolExecutor, fn, arg, count: int) -> float:
    list(pool.map(fn, [arg] * 2))  # warm both workers
    start = time.perf_counter()
    list(pool.map(fn, [arg] * count))
    return count / (time.perf_counter() - start)


def main() -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        for label, lines, count in (("1 page", 8, 24), ("10 pages", 150, 4)):
            html = render_html(
                invoice(lines=tuple(line(n, "1", "10") for n in range(1, lines + 1)))
            )
            mine, reference = rate(pool, ours, lines, count), rate(pool, bare, html, count)
            print(
                f"{label:<9} ours {mine:6.2f}/s   bare weasyprint {reference:6.2f}/s   overhead {(reference / mine - 1) * 100:5.1f}%"
            )


if __name__ == "__main__":
    main()
