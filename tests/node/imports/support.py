"""Small import files for the tests: CSV written from rows, headed like a station's own."""

from __future__ import annotations

import csv
from pathlib import Path

from node.access import Principal, Role

OPERATOR = Principal(Role.ADMIN, "cli")
MEMBERS_HEADER = ("source_id", "local_id", "display_name", "birth_year", "station")
RECORDS_HEADER = ("source_id", "local_id", "minutes", "date", "category", "document")


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def member_rows(count: int, *, start: int = 1) -> list[tuple[object, ...]]:
    return [(f"M{n:04d}", f"gl{n:04d}", f"王秀英{n}", 1930 + n % 70, f"gulou-{n % 3 + 1:02d}")
            for n in range(start, start + count)]


def record_rows(count: int, *, members_count: int) -> list[tuple[object, ...]]:
    categories = ("生活照料", "daily_living", "医疗保健", "Education and recreation 文体娱乐")
    return [(f"R{n:05d}", f"gl{n % members_count + 1:04d}", 30 + n % 4 * 30,
             f"20{15 + n % 10}/{n % 12 + 1}/{n % 28 + 1}", categories[n % 4],
             f"{2015 + n % 10}年服务登记簿") for n in range(1, count + 1)]
