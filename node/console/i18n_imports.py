"""Catalogue sentences of the import page (pages_import.py): the form, the dry run's counts and
its errors by row and column, the receipt. Merged into node/console/i18n.py's CATALOGUE.

The service (node/imports) names each problem of a row by a stable word (`missing`,
`out_of_range`, ...) with an English detail for the command line; the page says it in words
from `problem.<word>.<column>` or `problem.<word>`, so staff never read the English detail.
"""

from __future__ import annotations

from node.imports.columns import BIRTH_YEAR_MIN, NOTE_PREFIX, RECORD_DATE_MIN, RECORD_MINUTES_MAX

IMPORTS: dict[str, tuple[str, str]] = {
    "nav.imports": ("导入", "Import"),
    "imports.title": ("批量导入", "Bulk import"),
    "imports.admins_only": (
        "只有管理员可以批量导入成员和历史服务记录。请联系本节点的管理员。",
        "Only operators (admins) may import members and historical service records. Ask "
        "this node's operator."),
    "imports.intro": (
        "上传电子表格（.csv 或 .xlsx），先点“只检查，不导入”；没有错误后再点“导入”。"
        "每一行都有来源编号：同一个文件再导入一次，已导入的行不会重复，显示为“没有变化”。",
        "Upload a spreadsheet (.csv or .xlsx) and first press \"Check only\"; once it shows no "
        "errors, press \"Import\". Every row has a source id: importing the same file again "
        "repeats nothing, and the rows imported before show as \"no change\"."),
    "imports.limits": (
        "页面一次最多 {megabytes} MB、{rows} 行。更大的文件请拆分，或由管理员在服务器上用命令 "
        "hourbridge import 导入。",
        "The page takes at most {megabytes} MB and {rows} rows at a time. Split a bigger file, "
        "or have the operator run hourbridge import on the server."),
    "imports.kind": ("文件内容", "What the file holds"),
    "imports.kind_members": ("成员名单", "Members"),
    "imports.kind_records": (
        "历史服务记录（记为“服务所得”时间）", "Historical service records (as earned hours)"),
    "imports.columns_members": (
        "列：来源编号、会员编号、姓名、出生年份、服务站",
        "Columns: source_id, local_id, display_name, birth_year, station"),
    "imports.columns_records": (
        "列：来源编号、会员编号、分钟、日期、服务类别、来源文件",
        "Columns: source_id, local_id, minutes, date, category, document"),
    "imports.file": ("文件（.csv 或 .xlsx）", "File (.csv or .xlsx)"),
    "imports.programme": ("项目名称（可不填）", "Programme (optional)"),
    "imports.programme_help": (
        "来源编号所属的项目；不填即本节点规则中的项目：{programme}",
        "The programme the source ids belong to; empty means the node's own: {programme}"),
    "imports.dry_run": ("只检查，不导入", "Check only, import nothing"),
    "imports.import": ("导入", "Import"),
    "imports.wait": (
        "大文件需要一两分钟：请等页面显示结果，不要重复提交。中途断开也不要紧，再导入一次会接着导入，"
        "已导入的行不会重复。",
        "A big file takes a minute or two: wait for the result and do not send it twice. If "
        "the connection drops, import the file again: it carries on, and nothing is repeated."),
    "imports.result_dry": ("检查结果：{file}", "Check of {file}"),
    "imports.result_refused": ("未导入：{file}", "Not imported: {file}"),
    "imports.nothing_written": ("什么都没有写入。", "Nothing was written."),
    "imports.what": ("内容", "Kind"),
    "imports.count_read": ("读到的行", "Rows read"),
    "imports.count_new": ("将新导入", "New, to import"),
    "imports.count_known": ("已导入过，没有变化", "Imported before, no change"),
    "imports.count_errors": ("有错误的行", "Rows in error"),
    "imports.rows": ("{count} 行", "{count} rows"),
    "imports.rows_hours": ("{count} 行，共 {hours}", "{count} rows, {hours} in all"),
    "imports.clean": (
        "没有错误，可以导入。", "No errors: the file may be imported."),
    "imports.all_known": (
        "所有行都已导入过，没有变化：再导入也不会改变任何内容。",
        "Every row was imported before and is unchanged: importing again changes nothing."),
    "imports.errors": ("错误（按行和列）", "Errors by row and column"),
    "imports.errors_fix": (
        "请在电子表格中改正这些格，再检查一次。文件有任何错误时，整份文件都不会导入。",
        "Correct these cells in the spreadsheet and check again. While the file has any error, "
        "none of it is imported."),
    "imports.col_row": ("行", "Row"),
    "imports.col_column": ("列", "Column"),
    "imports.col_problem": ("问题", "Problem"),
    "imports.whole_row": ("（整行）", "(the whole row)"),
    "imports.errors_more": (
        "另有 {count} 个错误没有列出：请先改正上面这些，再检查一次。",
        "{count} more errors are not listed: correct those above first, then check again."),
    "imports.known": ("已导入过、没有变化的行", "Rows imported before, unchanged"),
    "imports.col_source": ("来源编号", "Source id"),
    "imports.col_state": ("状态", "State"),
    "imports.no_change": ("没有变化", "no change"),
    "imports.known_more": (
        "另有 {count} 行同样没有变化。", "{count} more rows are unchanged too."),
    "imports.recent": ("最近的导入回执", "Recent import receipts"),
    "imports.recent_none": ("还没有从本页导入过。", "Nothing was imported from this page yet."),
    "imports.col_when": ("时间", "When"),
    "imports.col_file": ("文件", "File"),
    "imports.col_done": ("结果", "Result"),
    "imports.done_summary": (
        "新导入 {imported} 行，没有变化 {known} 行", "{imported} imported, {known} no change"),
    # refusals of the file as a whole
    "imports.too_large": (
        "文件太大：{size}，本页一次最多 {limit}。请拆分文件，或由管理员用命令行导入。",
        "The file is too big: {size}; this page takes at most {limit}. Split it, or have the "
        "operator import it on the command line."),
    "imports.too_many_rows": (
        "文件超过 {limit} 行，本页一次最多 {limit} 行，读到第 {limit} 行就停了，什么都没有导入。"
        "请拆分文件，或由管理员用命令行导入。",
        "The file has more than {limit} rows; this page takes at most {limit}, stopped reading "
        "there and imported nothing. Split it, or have the operator import it on the command "
        "line."),
    "imports.no_file": ("请选择要上传的文件。", "Choose the file to upload."),
    "imports.bad_choice": (
        "请选择文件内容（成员名单或历史服务记录），再点“只检查”或“导入”。",
        "Choose what the file holds (members or service records), then Check or Import."),
    "imports.suffix": (
        "只能导入 .csv 或 .xlsx 文件：请在 Excel 或 WPS 中“另存为”其中一种。",
        "Only .csv and .xlsx files can be imported: save the sheet as one of them."),
    "imports.refused.xlsx": (
        "这个 .xlsx 文件打不开，可能已损坏或并非 Excel 文件。",
        "This .xlsx file cannot be opened: it may be damaged or not a workbook."),
    "imports.refused.encoding": (
        "这个 CSV 文件的文字编码无法识别：请另存为“CSV UTF-8”。",
        "The CSV's text encoding is not recognised: save it as \"CSV UTF-8\"."),
    "imports.refused.csv": (
        "这个 CSV 文件的格式有误（例如引号没有配对）。",
        "The CSV is malformed (a quote without its pair, for instance)."),
    "imports.refused.empty": (
        "文件是空的，或第一行没有列标题：第一行须写明各列的名称。",
        "The file is empty, or its first row names no columns: the first row names them."),
    "imports.refused.columns": (
        "列太多：最多 {count} 列。", "Too many columns: at most {count}."),
    "imports.refused.programme": (
        "项目名称须为 1 到 64 个字，不能含控制字符。",
        "The programme's name is 1 to 64 characters without control characters."),
    "imports.refused.no_earned": (
        "本节点的规则不发放“服务所得”时间，不能导入历史服务记录。",
        "This node's rules issue no earned hours, so service records cannot be imported."),
    "imports.refused.other": (
        "这个文件无法导入，什么都没有写入。", "This file cannot be imported; nothing was "
        "written."),
    # steps of a request's history the base catalogue has no words for (people_names.py)
    "request.heading": ("服务需求：{name}的{service}", "Service request: {service} for {name}"),
    "history.slip_recorded": ("按纸质记录单登记时间", "times recorded from a paper slip"),
    "history.correction_recorded": ("更正已登记", "correction recorded"),
    "history.correction_posted": ("更正已入账", "correction posted"),
    # the receipt
    "receipt.title": ("导入回执", "Import receipt"),
    "receipt.refused": ("写入时超出余额上限、未导入", "Refused as written: over the balance cap"),
    "receipt.refused_row": (
        "第 {row} 行：写入时这位成员的时间已到本节点规则的余额上限，这一行没有导入。",
        "Row {row}: by the time it was written the member's hours had reached this node's "
        "balance cap; the row was not imported."),
    "done.imported": (
        "导入完成，回执已由本节点签名。", "Imported; this node has signed the receipt."),
    "receipt.file": ("文件", "File"),
    "receipt.sha256": ("文件的 SHA-256", "The file's SHA-256"),
    "receipt.programme": ("项目", "Programme"),
    "receipt.signed": ("签名节点", "Signed by"),
    "receipt.issued": ("签发时间", "Issued"),
    "receipt.total_minutes": ("文件合计时长", "Hours in the file"),
    "receipt.imported_minutes": ("本次新增时长（服务所得）", "Hours added now (earned)"),
    "receipt.no_change": (
        "没有新内容：{count} 行此前都已导入，没有变化。",
        "Nothing new: all {count} rows were imported before and are unchanged."),
    "receipt.download": ("下载签名回执（JSON）", "Download the signed receipt (JSON)"),
    "receipt.verify": ("如何核验", "How to verify it"),
    "receipt.verify_help": (
        "审计人员拿着回执、联盟目录和原电子表格，在任何一台装有 HourBridge 的电脑上运行下面的命令，"
        "无需连接本节点：",
        "An auditor with the receipt, the federation directory and the spreadsheet runs this on "
        "any computer with HourBridge, without reaching this node:"),
    "receipt.back": ("返回导入页面", "Back to the import page"),
}

# One row's problem in words, by the service's stable word and (where the words differ) the
# column; `{row}`, `{file}`, `{names}`, `{heading}`, `{count}` are filled in by the page.
PROBLEMS: dict[str, tuple[str, str]] = {
    "problem.missing": ("这一格是空的，必须填写。", "This cell is empty; it must be filled in."),
    "problem.too_long": (
        "内容太长：最多 {count} 个字。", "Too long: at most {count} characters."),
    "problem.malformed": (
        "含有看不见的控制字符，请重新输入这一格。",
        "It holds invisible control characters; type the cell again."),
    "problem.malformed.local_id": (
        "编号只能用小写字母、数字和 . _ -（例如 a1027）。",
        "Lowercase letters, digits, '.', '_' and '-' only (a member number such as a1027)."),
    "problem.malformed.station": (
        "服务站编号只能用小写字母、数字和 . _ -（例如 gulou-01）。",
        "Lowercase letters, digits, '.', '_' and '-' only (a station such as gulou-01)."),
    "problem.malformed.birth_year": (
        "须是整数年份，例如 1948。", "A whole year is expected, such as 1948."),
    "problem.malformed.minutes": (
        "须是整数分钟，例如 90。", "Whole minutes are expected, such as 90."),
    "problem.malformed.date": (
        "日期应写成 2019-03-02 或 2019/3/2。", "A date such as 2019-03-02 or 2019/3/2."),
    "problem.out_of_range.birth_year": (
        f"出生年份须在 {BIRTH_YEAR_MIN} 年到今年之间。",
        f"A year of birth from {BIRTH_YEAR_MIN} to this year."),
    "problem.out_of_range.minutes": (
        f"分钟数须在 1 到 {RECORD_MINUTES_MAX} 之间（一行最多一天，即 "
        f"{RECORD_MINUTES_MAX // 60} 小时）。",
        f"Minutes from 1 to {RECORD_MINUTES_MAX} (one line is a day at most, "
        f"{RECORD_MINUTES_MAX // 60} h)."),
    "problem.out_of_range.date": (
        f"日期须在 {RECORD_DATE_MIN.isoformat()} 到今天之间。",
        f"A date from {RECORD_DATE_MIN.isoformat()} to today."),
    "problem.out_of_range": ("超出允许的范围。", "Out of the allowed range."),
    "problem.unknown.category": (
        "不是本节点规则中的服务类别。可用：{names}。",
        "Not a service category of this node's rules. Use one of: {names}."),
    "problem.unknown.local_id": (
        "本节点没有这位成员：请先导入成员名单。",
        "No such member on this node: import the members first."),
    "problem.unknown": ("无法识别。", "Not recognised."),
    "problem.unknown_column": (
        f"不认识这一列。如果是备注，请让标题以 {NOTE_PREFIX} 开头。",
        f"Not a column of this kind of file. A note's heading starts with {NOTE_PREFIX}."),
    "problem.duplicate_column": ("这一列的标题出现了两次。", "This heading appears twice."),
    "problem.missing_column": (
        "缺少这一列（标题也可写作“{heading}”）。",
        "This column is missing (its heading may also be \"{heading}\")."),
    "problem.duplicate": ("与第 {row} 行重复。", "The same as on row {row}."),
    "problem.duplicate.local_id": (
        "这个会员编号在第 {row} 行已出现过。", "This member number is on row {row} already."),
    "problem.extra_cells": (
        "最后一个有标题的列右边还有内容：请删去，或给那一列加上标题。",
        "There are values right of the last named column: delete them or name the column."),
    "problem.conflict": (
        "这个来源编号以前导入过（{file} 第 {row} 行），但内容不同：请在节点上更正该成员或记录，"
        "或给这一行一个新的来源编号。",
        "This source id was imported before (row {row} of {file}) with other content: correct "
        "the member or record on the node, or give this row a new source id."),
    "problem.reserved": (
        "这是本节点系统账户的编号，不能用作会员编号。",
        "This is the id of an account the node owns; it cannot be a member number."),
    "problem.exists": (
        "这个会员编号已在本节点登记。", "This member number is registered here already."),
    "problem.inactive": (
        "这位成员在本节点已迁出或停用，不能再记入时间。",
        "This member moved away or is deactivated here; no hours can be recorded."),
    "problem.other": ("这一格有问题（{problem}）。", "Something is wrong here ({problem})."),
}
