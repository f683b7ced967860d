#!/usr/bin/env python3
"""A real-looking programme's spreadsheets to try `hourbridge import` on (docs/records.md).

    .venv/bin/python scripts/make_import_sample.py OUT_DIR [--members 5000] [--records 50000]
                                                           [--format xlsx|csv] [--seed 14]

Writes OUT_DIR/members.xlsx (source_id, 会员编号, 姓名, 出生年份, 服务站: Chinese names, birth
years 1930–2005, a district's twelve stations) and OUT_DIR/records.xlsx (source_id, 会员编号,
分钟, 日期, 服务类别, 来源文件: visits of 30 minutes to 4 hours over 2015–2024, in the five
standard categories by their Chinese names, from yearly paper registers). The headings are the
Chinese ones a station's own spreadsheet has; a `#备注` column carries notes the import
ignores. The same seed writes the same files, byte for byte in CSV.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "秀英桂兰玉珍凤华明国建平志伟军强芳敏静丽娟霞文杰红梅淑兰德福荣海涛燕萍春林云琴桂芝秀兰宝珠永庆学勤慧敏"  # noqa: E501
STATIONS = [f"gulou-{n:02d}" for n in range(1, 13)]
CATEGORIES = ["生活照料", "医疗保健", "居家安全", "文体娱乐", "专业服务"]
CATEGORY_WEIGHTS = [55, 15, 12, 15, 3]
FIRST_DAY, LAST_DAY = dt.date(2015, 1, 1), dt.date(2024, 12, 31)
MEMBER_HEADER = ["source_id", "会员编号", "姓名", "出生年份", "服务站", "#备注"]
RECORD_HEADER = ["source_id", "会员编号", "分钟", "日期", "服务类别", "来源文件", "#备注"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def member_rows(count: int, rng: random.Random) -> Iterator[list[object]]:
    for n in range(1, count + 1):
        # Elders (most of those served) and younger volunteers.
        year = rng.randint(1930, 1960) if rng.random() < 0.6 else rng.randint(1961, 2005)
        note = "独居" if rng.random() < 0.05 else None
        yield [f"M{n:06d}", f"gl{n:06d}", _name(rng), year, rng.choice(STATIONS), note]


def record_rows(count: int, members: int, rng: random.Random) -> Iterator[list[object]]:
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))
    for n, day in enumerate(days, start=1):
        minutes = rng.choice((30, 45, 60, 60, 60, 90, 120, 120, 180, 240))
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        book = f"{day.year}年服务登记簿第{(day.month - 1) // 3 + 1}册"
        yield [f"R{n:07d}", f"gl{rng.randint(1, members):06d}", minutes, day, category, book,
               None]


def write_xlsx(path: Path, header: list[str], rows: Iterator[list[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path: Path, header: list[str], rows: Iterator[list[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])


def make(out: Path, *, members: int, records: int, fmt: str, seed: int) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    write = write_xlsx if fmt == "xlsx" else write_csv
    members_path, records_path = out / f"members.{fmt}", out / f"records.{fmt}"
    write(members_path, MEMBER_HEADER, member_rows(members, rng))
    write(records_path, RECORD_HEADER, record_rows(records, members, rng))
    return members_path, records_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    paths = make(args.out, members=args.members, records=args.records, fmt=args.format,
                 seed=args.seed)
    print(" ".join(str(path) for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
