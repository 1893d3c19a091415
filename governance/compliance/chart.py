"""A bar chart of accesses over time, drawn on the server as SVG.

No script and no style attributes (the CSP allows neither): only SVG presentation
attributes. The chart carries a title and a description for assistive technology;
the page shows the same numbers as a table next to it.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from governance.compliance.selectors import Bucket

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 44
ALLOWED_FILL = "#1e6b34"
REFUSED_FILL = "#a4161a"
AXIS = "#4a5560"


def _label(bucket: Bucket, unit: str) -> str:
    return bucket.start.strftime("%Y-%m-%d %H:00" if unit == "hour" else "%Y-%m-%d")


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (and at least 1)."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def accesses_svg(buckets: list[Bucket], *, unit: str, chart_id: str = "accesses") -> SafeString:
    """The SVG markup for ``buckets``: stacked bars, allowed below and denied or failed above."""
    title = f"Ledger events per {unit}"
    total = sum(b.total for b in buckets)
    refused = sum(b.refused for b in buckets)
    if buckets:
        desc = (
            f"{total} events from {_label(buckets[0], unit)} to {_label(buckets[-1], unit)}, "
            f"{refused} of them denied or failed. The table below lists the same numbers."
        )
    else:
        desc = "No events match the filter."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max((b.total for b in buckets), default=0))
    baseline = TOP + plot_h
    parts.append(f'<line x1="{LEFT}" y1="{baseline}" x2="{WIDTH - RIGHT}" y2="{baseline}" stroke="{AXIS}"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{baseline}" stroke="{AXIS}"/>')
    for tick in (0, top // 2, top) if top > 1 else (0, top):
        y = baseline - plot_h * tick / top
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{AXIS}">{tick}</text>'
        )
    if buckets:
        slot = plot_w / len(buckets)
        bar = max(slot * 0.8, 1)
        label_every = max(1, len(buckets) // 6)
        for index, bucket in enumerate(buckets):
            x = LEFT + index * slot + (slot - bar) / 2
            allowed_h = plot_h * bucket.allowed / top
            refused_h = plot_h * bucket.refused / top
            tip = escape(f"{_label(bucket, unit)}: {bucket.allowed} allowed, {bucket.refused} denied or failed")
            parts.append("<g>")
            parts.append(f"<title>{tip}</title>")
            if bucket.allowed:
                parts.append(
                    f'<rect x="{x:.1f}" y="{baseline - allowed_h:.1f}" width="{bar:.1f}" '
                    f'height="{allowed_h:.1f}" fill="{ALLOWED_FILL}"/>'
                )
            if bucket.refused:
                parts.append(
                    f'<rect x="{x:.1f}" y="{baseline - allowed_h - refused_h:.1f}" width="{bar:.1f}" '
                    f'height="{refused_h:.1f}" fill="{REFUSED_FILL}"/>'
                )
            parts.append("</g>")
            if index % label_every == 0:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{baseline + 16}" text-anchor="middle" font-size="11" '
                    f'fill="{AXIS}">{escape(_label(bucket, unit)[5:])}</text>'
                )
    legend_y = HEIGHT - 10
    parts.append(f'<rect x="{LEFT}" y="{legend_y - 9}" width="10" height="10" fill="{ALLOWED_FILL}"/>')
    parts.append(f'<text x="{LEFT + 14}" y="{legend_y}" font-size="11" fill="{AXIS}">Allowed</text>')
    parts.append(f'<rect x="{LEFT + 80}" y="{legend_y - 9}" width="10" height="10" fill="{REFUSED_FILL}"/>')
    parts.append(f'<text x="{LEFT + 94}" y="{legend_y}" font-size="11" fill="{AXIS}">Denied or failed</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
