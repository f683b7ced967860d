"""The verdict and the chart of scripts/load.py: the memory slope it judges by, and an SVG that
parses and draws every sample."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from load import Sample, second_half_slopes, slope_per_min  # noqa: E402
from load_chart import svg_chart  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def test_the_slope_is_in_mb_per_minute() -> None:
    assert slope_per_min([(0, 100.0), (60, 102.0), (120, 104.0)]) == pytest.approx(2.0)
    assert slope_per_min([(0, 100.0), (30, 100.0)]) == 0.0
    assert slope_per_min([(5, 100.0)]) == 0.0


def test_only_the_second_half_counts_warm_up_does_not() -> None:
    # 10 MB of warm-up in the first minute, then flat: flat.
    samples = [Sample(float(t), 0, 0, {"a": 100.0 + min(t, 60) / 6, "b": 50.0 + t / 60})
               for t in range(10, 241, 10)]
    slopes = second_half_slopes(samples, ["a", "b"])
    assert slopes["a"] == pytest.approx(0.0)
    assert slopes["b"] == pytest.approx(1.0)


def test_the_chart_is_svg_with_a_line_per_series() -> None:
    text = svg_chart([(10.0, 99.0), (20.0, 101.0), (30.0, 100.0)],
                     {"nj-gulou": [(10.0, 110.0), (20.0, 111.0), (30.0, 111.5)],
                      "sh-pudong": [(10.0, 109.0), (20.0, 109.5), (30.0, 110.0)]})
    root = ET.fromstring(text)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 3
    assert all(len(line.attrib["points"].split()) == 3 for line in lines)
    labels = {node.text for node in root.iter(f"{SVG}text")}
    assert {"nj-gulou", "sh-pudong", "both nodes"} <= labels
