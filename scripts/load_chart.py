"""The chart of scripts/load.py as plain SVG: committed transfers per second above, each node's
resident memory below, on one time axis. Hand-written so the benchmark needs no plotting
library; any browser or the repository's web view shows it."""

from __future__ import annotations

from html import escape

WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, GAP = 720, 180, 64, 150, 28, 56
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
Series = list[tuple[float, float]]


def _nice_max(value: float) -> float:
    """A round number at or above `value` for the top of an axis."""
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= value:
            return step * factor
    return value


def _panel(title: str, unit: str, series: dict[str, Series], top: float, t_max: float,
           *, from_zero: bool) -> list[str]:
    values = [v for points in series.values() for _, v in points]
    v_max = _nice_max(max(values, default=1.0) * 1.05)
    v_min = 0.0 if from_zero else max(0.0, min(values, default=0.0) * 0.9)
    plot_w = WIDTH - LEFT - RIGHT

    def x(t: float) -> float:
        return LEFT + plot_w * t / t_max

    def y(v: float) -> float:
        return top + PANEL_HEIGHT * (1 - (v - v_min) / ((v_max - v_min) or 1))

    out = [f'<text x="{LEFT}" y="{top - 10}" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{PANEL_HEIGHT}" fill="none" '
           'stroke="#999"/>']
    for i in range(5):
        v = v_min + (v_max - v_min) * i / 4
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
                   f'{v:,.0f} {escape(unit)}</text>')
    for i, (name, points) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{LEFT + plot_w + 10}" y="{top + 16 + 18 * i}" fill="{colour}">'
                   f'{escape(name)}</text>')
    return out


def svg_chart(throughput: Series, rss: dict[str, Series]) -> str:
    t_max = max([t for t, _ in throughput] + [1.0])
    height = TOP + 2 * PANEL_HEIGHT + GAP + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
             *_panel("committed transfers per second", "/s", {"both nodes": throughput}, TOP,
                     t_max, from_zero=True),
             *_panel("resident memory (VmRSS)", "MB", rss, TOP + PANEL_HEIGHT + GAP, t_max,
                     from_zero=False)]
    axis_y = TOP + 2 * PANEL_HEIGHT + GAP
    for i in range(6):
        t = t_max * i / 5
        x = LEFT + (WIDTH - LEFT - RIGHT) * i / 5
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">{t:,.0f} s'
                     '</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
