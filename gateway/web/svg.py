"""A server-side SVG bar chart: delivered (up) and failed (down) per day, stacked by channel."""

from __future__ import annotations

from html import escape
from typing import Any

PALETTE = ("#1f4e79", "#2e86ab", "#58a4b0", "#8fb8de", "#a4b8c4", "#6c8ea4")
FAILED = "#c0392b"


def bar_chart(series: list[dict[str, Any]], width: int = 720, height: int = 220) -> str:
    channels = sorted(
        {c for day in series for c in day["delivered"]}
        | {c for day in series for c in day["failed"]}
    )
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(channels)}
    top = max([sum(d["delivered"].values()) for d in series] + [1])
    bottom = max([sum(d["failed"].values()) for d in series] + [0])
    scale = (height - 40) / (top + bottom or 1)
    axis = 16 + top * scale
    step = (width - 40) / max(len(series), 1)
    bars = []
    for i, day in enumerate(series):
        x = 30 + i * step
        y = axis
        for channel in channels:
            n = day["delivered"].get(channel, 0)
            if n:
                h = n * scale
                y -= h
                bars.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{colour[channel]}"><title>{escape(str(day["day"]))}: {n} delivered by {escape(channel)}</title></rect>'
                )
        failed = sum(day["failed"].values())
        if failed:
            bars.append(
                f'<rect x="{x:.1f}" y="{axis:.1f}" width="{step * 0.7:.1f}" height="{failed * scale:.1f}" fill="{FAILED}"><title>{escape(str(day["day"]))}: {failed} failed</title></rect>'
            )
        if i % 2 == 0:
            bars.append(
                f'<text x="{x:.1f}" y="{height - 4}" font-size="10" fill="#555">{day["day"].strftime("%d/%m")}</text>'
            )
    legend = "".join(
        f'<rect x="{30 + i * 110}" y="2" width="10" height="10" fill="{colour[c]}"/><text x="{44 + i * 110}" y="11" font-size="11" fill="#333">{escape(c)}</text>'
        for i, c in enumerate(channels)
    )
    legend += f'<rect x="{30 + len(channels) * 110}" y="2" width="10" height="10" fill="{FAILED}"/><text x="{44 + len(channels) * 110}" y="11" font-size="11" fill="#333">failed</text>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="Delivered and failed invoices per day">'
        f'{legend}<line x1="26" y1="{axis:.1f}" x2="{width - 6}" y2="{axis:.1f}" stroke="#999"/>{"".join(bars)}</svg>'
    )
