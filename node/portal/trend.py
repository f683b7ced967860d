"""Trends over the history: outstanding hours and the hours owed between nodes, report by report,
as an inline SVG line chart (no script, no CDN) with the same figures in a table beneath it,
each row linking to the signed report it came from."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from node.portal.history import History
from node.portal.view import ATTENTION, directory_names, headline, summary_of
from node.reports.words import MINUTES_PER_HOUR

TREND_REPORTS_MAX = 30
WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 640, 300, 80, 20, 24, 56
COLOURS = ("#0b5394", "#a4161a")  # contrast above 7:1 on white
FONT_PX = 20


@dataclass(frozen=True)
class Point:
    report_id: str
    issued: str
    outstanding_minutes: int
    owed_minutes: int
    attention: bool


def points(history: History) -> list[Point]:
    """The newest TREND_REPORTS_MAX reports, oldest first."""
    found = []
    for rid in reversed(history.ids()[:TREND_REPORTS_MAX]):
        kept = history.read(rid)
        names = directory_names(kept)
        summary = summary_of(kept, names)
        if summary is None:
            continue
        top = headline(kept, names)
        found.append(Point(rid, top.issued, summary.outstanding_minutes,
                           sum(d.minutes for d in summary.debts), top.status == ATTENTION))
    return found


def _line(values: list[int], top: int, colour: str, names: list[str]) -> str:
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(values) - 1, 1)
    xy = [(PAD_LEFT + i * step, PAD_TOP + plot_h * (1 - v / top)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}">'
                   f"<title>{escape(name)}</title></circle>"
                   for (x, y), name in zip(xy, names, strict=True))
    return (f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="4"/>'
            + dots)


def chart(found: list[Point]) -> str:
    """Two lines in hours: outstanding (blue) and owed between nodes (red)."""
    if not found:
        return ""
    outstanding = [p.outstanding_minutes for p in found]
    owed = [p.owed_minutes for p in found]
    top = max([*outstanding, *owed, MINUTES_PER_HOUR])
    hours_top = -(-top // MINUTES_PER_HOUR)
    base = HEIGHT - PAD_BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="trend" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="trend-title">'
             '<title id="trend-title">历次报告的未兑付时数与节点间欠账时数</title>',
             f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{base}" y2="{base}" '
             'stroke="#1a1a1a" stroke-width="2"/>',
             f'<text x="4" y="{PAD_TOP + FONT_PX}" font-size="{FONT_PX}">{hours_top} 小时</text>',
             f'<text x="4" y="{base}" font-size="{FONT_PX}">0</text>',
             f'<text x="{PAD_LEFT}" y="{HEIGHT - 12}" font-size="{FONT_PX}">'
             f"{escape(found[0].issued[:16])}</text>"]
    if len(found) > 1:
        parts.append(f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 12}" font-size="{FONT_PX}" '
                     f'text-anchor="end">{escape(found[-1].issued[5:16])}</text>')
    names = [f"{p.issued}" for p in found]
    parts.append(_line(outstanding, top, COLOURS[0], [f"{n} 未兑付" for n in names]))
    parts.append(_line(owed, top, COLOURS[1], [f"{n} 节点间欠账" for n in names]))
    parts.append("</svg>")
    return "".join(parts)
