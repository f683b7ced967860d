"""Small inline SVG charts for the report page, drawn without a charting library: grouped bars
(negative values below the axis) and a heatmap. Every label is escaped. Values are integers;
`label` says how a person reads one (node/reports/words.py's `hours_text` for minutes). The
page's style scales each chart down to the screen's width (render_html.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

# Sizes in the drawing's own units; a phone shows it at about half size, so its text is drawn
# large (FONT) to stay legible there.
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 300, 150, 90, 24
FONT, FONT_SMALL, LEGEND_ROW = 22, 18, 30
COLOURS = ("#2f6f9f", "#d98c1f", "#5a9e4b", "#b0413e", "#7a5ea8", "#666666")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def _number(value: int) -> str:
    return f"{value:,}"


def bars(title: str, categories: list[str], series: list[Series], *, unit: str = "",
         label: Callable[[int], str] = _number) -> str:
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
             f'{HEIGHT + LEGEND_ROW * len(series)}" width="{WIDTH}"><title>{escape(title)}</title>',
             f'<line x1="{PAD_LEFT}" x2="{WIDTH - 10}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
             'stroke="#333"/>',
             f'<text x="4" y="{PAD_TOP + 8}" font-size="{FONT_SMALL}">{escape(label(top))} '
             f'{escape(unit)}</text>',
             f'<text x="4" y="{PAD_TOP + plot_h}" font-size="{FONT_SMALL}">'
             f'{escape(label(bottom))}</text>']
    for i, category in enumerate(categories):
        x0 = PAD_LEFT + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            top_y, bottom_y = sorted((y(value), y(0)))
            parts.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top_y:.1f}" width="{bar_w:.1f}" '
                         f'height="{max(bottom_y - top_y, 0.5):.1f}" '
                         f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(category)} · '
                         f'{escape(s.name)}: {escape(label(value))}</title></rect>')
        if len(categories) <= 40 or i % max(len(categories) // 20, 1) == 0:
            parts.append(f'<text x="{x0:.1f}" y="{HEIGHT - PAD_BOTTOM + 22}" '
                         f'font-size="{FONT_SMALL}" '
                         f'transform="rotate(30 {x0:.1f} {HEIGHT - PAD_BOTTOM + 22})">'
                         f'{escape(category)}</text>')
    for j, s in enumerate(series):
        ly = HEIGHT + 4 + LEGEND_ROW * j
        parts.append(f'<rect x="10" y="{ly}" width="20" height="20" '
                     f'fill="{COLOURS[j % len(COLOURS)]}"/><text x="40" '
                     f'y="{ly + 18}" font-size="{FONT}">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heatmap(title: str, rows: list[str], columns: list[str],
            cells: dict[tuple[str, str], int], *, label: Callable[[int], str] = _number,
            names: Callable[[str], str] = str) -> str:
    """A matrix: rows × columns (node ids, shown by `names`), each cell coloured by its value
    (blue owed to the row's node, red owed by it), blank where there is none."""
    cell, left, head = 130, 150, 110
    width, height = left + cell * len(columns) + 50, head + cell * len(rows) // 2 + 10
    extreme = max([abs(v) for v in cells.values()] or [1]) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} '
             f'{height}" width="{width}"><title>{escape(title)}</title>']
    for j, column in enumerate(columns):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x:.0f}" y="{head - 8}" font-size="{FONT_SMALL}" '
                     'text-anchor="start" '
                     f'transform="rotate(-35 {x:.0f} {head - 8})">{escape(names(column))}</text>')
    for i, row in enumerate(rows):
        y = head + i * cell // 2
        parts.append(f'<text x="4" y="{y + 40}" font-size="{FONT_SMALL}">'
                     f'{escape(names(row))}</text>')
        for j, column in enumerate(columns):
            value = cells.get((row, column))
            if value is None:
                fill, text = "#f4f4f4", ""
            else:
                # at most this dark, so the black figure on it stays readable
                strength = int(120 * abs(value) / extreme)
                fill = (f"rgb({255 - strength},{255 - strength // 2},255)" if value >= 0
                        else f"rgb(255,{255 - strength},{255 - strength})")
                text = label(value)
            parts.append(f'<rect x="{left + j * cell}" y="{y}" width="{cell - 2}" '
                         f'height="{cell // 2 - 2}" fill="{fill}" stroke="#ccc"/>'
                         f'<text x="{left + j * cell + 6}" y="{y + 40}" '
                         f'font-size="{FONT_SMALL}">'
                         f'{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
