"""Catalogue entries of the member page's record section (pages_member_edits.py): correcting a
member's record, its history in words, possible duplicates and the merge. Merged into
node/console/i18n.py's CATALOGUE; the same rules hold (both languages, same placeholders)."""

from __future__ import annotations

from node.errors import ErrorCode

MEMBER_EDITS: dict[str, tuple[str, str]] = {
    "record.title": ("更正成员信息", "Correct the record"),
    "record.intro": (
        "改错字、出生年份或服务站时使用。每次更正都会记下是谁、何时、为何更正，以及更正前后的内容。"
        "改到其他服务站后，她将由那个服务站的工作人员服务，本站将不再能查看她。",
        "For a misspelt name, a wrong year of birth or a move to another station. Every "
        "correction keeps who made it, when, why, and the values before and after. After a "
        "move to another station, that station's staff serve her and yours no longer see her."),
    "record.station": ("服务站（编号）", "Station (ID)"),
    "record.birth_year_unknown": ("不知道出生年份时请留空。", "Leave empty if not known."),
    "record.reason": ("更正理由（如：核对身份证）", "Why (e.g. ID card checked)"),
    "record.submit": ("保存更正", "Save the correction"),
    "record.unplaced": (
        "该成员还没有服务站（例如刚从其他城市迁入），只有管理员能看到她。请填写姓名、出生年份和服务站。",
        "This member has no station yet (she may have just moved here from another city), so "
        "only operators see her. Fill in her name, year of birth and station."),
    "record.moved": (
        "该成员已迁往其他节点，记录由新节点保存，这里不能更正。",
        "This member has moved to another node, which keeps her record: it cannot be "
        "corrected here."),
    "history.title": ("更正记录", "Corrections"),
    "history.none": ("还没有更正过。", "No corrections yet."),
    "history.more": ("更早的更正请在 API 中查看。", "Older corrections are in the API."),
    "history.line": ("{when}，{who}把{field}从“{before}”改为“{after}”。理由：{reason}",
                     "{when}, {who} changed {field} from “{before}” to “{after}”. Why: {reason}"),
    "history.merged_into": ("{when}，{who}将此成员并入 {name}（{id}），时间一并转入。"
                            "理由：{reason}",
                            "{when}, {who} merged this member into {name} ({id}), hours and "
                            "all. Why: {reason}"),
    "history.merged_from": ("{when}，{who}将重复登记的 {name}（{id}）并入此成员。理由：{reason}",
                            "{when}, {who} merged the duplicate {name} ({id}) into this member. "
                            "Why: {reason}"),
    "history.who": ("{label}（{role}）", "{label} ({role})"),
    "history.empty": ("空", "empty"),
    "history.field.display_name": ("姓名", "the name"),
    "history.field.birth_year": ("出生年份", "the year of birth"),
    "history.field.station": ("服务站", "the station"),
    "history.field.hardship": ("困难认定", "hardship"),
    "history.field.subsidised": ("服务补贴", "subsidy"),
    "history.field.status": ("状态", "the status"),
    "duplicates.title": ("可能重复登记", "Possibly registered twice"),
    "duplicates.intro": (
        "以下成员与此成员同名、同出生年份、同服务站，可能是同一个人。请核实；如确属重复，请管理员合并。",
        "These members have the same name, year of birth and station as this one: they may be "
        "the same person. Please check; if so, an operator merges them."),
    "merge.title": ("合并重复登记", "Merge a duplicate"),
    "merge.intro": (
        "把此成员（重复登记的一方）并入另一成员：全部可用时间以记账方式转给保留的成员，此成员随即停用。"
        "如有未结清的服务、转账或付款请求，需先处理完毕。",
        "Merge this member (the duplicate) into another: all her available hours move to the "
        "member kept by ledger entries, and this one is deactivated. Open services, transfers "
        "or payment requests must be settled first."),
    "merge.into": ("保留的成员（编号）", "Member kept (ID)"),
    "merge.submit": ("合并", "Merge"),
    "done.record_corrected": ("已保存更正。", "The correction is saved."),
    "done.merged": ("已合并，时间已转入此成员。", "Merged: the hours are on this member now."),
    "entry.member_merge": ("重复登记合并", "duplicate merged"),
    "unplaced.title": ("待安排服务站的成员", "Members without a station"),
    "unplaced.link": ("待安排服务站的成员", "Members without a station"),
    "unplaced.intro": (
        "这些成员还没有服务站（多为从其他城市迁入），服务站工作人员看不到她们。请打开成员页，填写姓名、出生年份和服务站。",
        "These members have no station yet (most moved here from another city), so no "
        "station's staff see them. Open each page and fill in her name, year of birth and "
        "station."),
    "unplaced.none": ("所有成员都已安排服务站。", "Every member has a station."),
    "field.station": ("服务站", "station"),
    "field.into": ("保留的成员", "member kept"),
}

MEMBER_EDITS_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.OPEN_PAYMENT_REQUESTS: (
        "该成员还有未处理的付款请求，请等对方付款或拒绝后再合并。",
        "This member still has open payment requests: merge once they are paid or declined."),
    ErrorCode.BALANCE_CAP_EXCEEDED: (
        "这样会超过本地政策规定的时间上限。合并前请先让她使用或捐出一部分时间；更正服务时长请由管理员处理。",
        "That would pass this programme's cap on hours: before a merge, let her spend or "
        "donate some hours first; a visit's correction is for an admin to handle."),
}
