"""Small inline SVG charts for the report page, drawn without a charting library: grouped bars
(negative values below the axis) and a heatmap. Every label is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 260, 70, 60, 20
COLOURS = ("#2f6f9f", "#d98c1f", "#5a9e4b", "#b0413e", "#7a5ea8", "#666666")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def _number(value: int) -> str:
    return f"{value:,}"


def bars(title: str, categories: list[str], series: list[Series], *, unit: str = "") -> str:
    """Grouped bars, one group per category, one bar per series."""
    values = [v for s in series for v in s.values] or [0]
    top, bottom = max(max(values), 0), min(min(values), 0)
    span = (top - bottom) or 1
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    plot_w = WIDTH - PAD_LEFT - 10

    def y(value: int) -> float:
        return PAD_TOP + (top - value) * plot_h / span

    group_w = plot_w / max(len(categories), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} '
             f'{HEIGHT + 20 * len(series)}" width="{WIDTH}"><title>{escape(title)}</title>',
             f'<line x1="{PAD_LEFT}" x2="{WIDTH - 10}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
             'stroke="#333"/>',
             f'<text x="4" y="{PAD_TOP + 4}" font-size="11">{_number(top)} {escape(unit)}</text>',
             f'<text x="4" y="{PAD_TOP + plot_h}" font-size="11">{_number(bottom)}</text>']
    for i, category in enumerate(categories):
        x0 = PAD_LEFT + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            top_y, bottom_y = sorted((y(value), y(0)))
            parts.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top_y:.1f}" width="{bar_w:.1f}" '
                         f'height="{max(bottom_y - top_y, 0.5):.1f}" '
                         f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(category)} · '
                         f'{escape(s.name)}: {_number(value)}</title></rect>')
        if len(categories) <= 40 or i % max(len(categories) // 20, 1) == 0:
            parts.append(f'<text x="{x0:.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" font-size="10" '
                         f'transform="rotate(30 {x0:.1f} {HEIGHT - PAD_BOTTOM + 14})">'
                         f'{escape(category)}</text>')
    for j, s in enumerate(series):
        ly = HEIGHT + 4 + 20 * j
        parts.append(f'<rect x="{PAD_LEFT}" y="{ly}" width="12" height="12" '
                     f'fill="{COLOURS[j % len(COLOURS)]}"/><text x="{PAD_LEFT + 18}" '
                     f'y="{ly + 11}" font-size="12">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heatmap(title: str, rows: list[str], columns: list[str],
            cells: dict[tuple[str, str], int]) -> str:
    """A matrix: rows × columns, each cell coloured by its value (blue owed to the row's node,
    red owed by it), blank where there is none."""
    cell, left, head = 70, 110, 90
    width, height = left + cell * len(columns) + 50, head + cell * len(rows) // 2 + 10
    extreme = max([abs(v) for v in cells.values()] or [1]) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} '
             f'{height}" width="{width}"><title>{escape(title)}</title>']
    for j, column in enumerate(columns):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x:.0f}" y="{head - 8}" font-size="11" text-anchor="start" '
                     f'transform="rotate(-35 {x:.0f} {head - 8})">{escape(column)}</text>')
    for i, row in enumerate(rows):
        y = head + i * cell // 2
        parts.append(f'<text x="4" y="{y + 22}" font-size="11">{escape(row)}</text>')
        for j, column in enumerate(columns):
            value = cells.get((row, column))
            if value is None:
                fill, label = "#f4f4f4", ""
            else:
                strength = int(200 * abs(value) / extreme)
                fill = (f"rgb({255 - strength},{255 - strength // 2},255)" if value >= 0
                        else f"rgb(255,{255 - strength},{255 - strength})")
                label = _number(value)
            parts.append(f'<rect x="{left + j * cell}" y="{y}" width="{cell - 2}" '
                         f'height="{cell // 2 - 2}" fill="{fill}" stroke="#ccc"/>'
                         f'<text x="{left + j * cell + 4}" y="{y + 22}" font-size="11">'
                         f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
