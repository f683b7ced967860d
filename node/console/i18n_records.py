"""Catalogue entries of a volunteer's record on the member page (pages_qualifications.py) and
on the printed certificate: qualifications and the honour level. Merged into
node/console/i18n.py's CATALOGUE; the same rules hold (both languages, same placeholders)."""

from __future__ import annotations

RECORDS: dict[str, tuple[str, str]] = {
    "quals.title": ("培训与资质", "Training and qualifications"),
    "quals.intro": (
        "登记志愿者的培训或资质证书。有些服务类别（如医疗保健）只能由持有当天有效资质的志愿者接单。",
        "Record the volunteer's training or qualification certificates. Some service "
        "categories (such as health) can only be taken by volunteers holding one valid that "
        "day."),
    "quals.none": ("还没有登记资质。", "No qualification recorded yet."),
    "quals.valid": ("有效", "valid"),
    "quals.not_valid": ("不在有效期内", "not valid today"),
    "quals.until": ("{start} 至 {end}", "{start} to {end}"),
    "quals.no_end": ("{start} 起长期有效", "from {start}, no end"),
    "quals.submit": ("登记资质", "Record the qualification"),
    "field.kind": ("资质类别代码（如 health_care）", "Kind code (e.g. health_care)"),
    "field.title": ("证书名称", "Title"),
    "field.issuer": ("发证机构", "Issued by"),
    "field.valid_from": ("有效期起", "Valid from"),
    "field.valid_until": ("有效期至（可不填）", "Valid until (may be left empty)"),
    "field.evidence_ref": ("证书编号", "Certificate number"),
    "done.qualification_recorded": ("资质已登记。", "The qualification is recorded."),
    "honour.title": ("志愿服务星级", "Honour level"),
    "honour.none": ("本节点的规则没有设星级。", "This node's rules set no honour levels."),
    "honour.level": ("{name}（{stars} 星）", "{name} ({stars} stars)"),
    "honour.below": ("还未达到一星", "Not yet one star"),
    "honour.served": ("已结算服务：{hours}", "Service paid: {hours}"),
    "honour.next": ("再服务到 {hours} 小时可达 {stars} 星。",
                    "{stars} stars at {hours} hours of service."),
    "correction.whole_title": ("按纸质服务单登记整次服务", "Record the whole visit from its slip"),
    "correction.whole_hint": (
        "志愿者没有签到就上门了：按服务单填写签到和签退时间，或只填时长。登记后由老人本人或另一位"
        "工作人员确认付款。",
        "The volunteer went without checking in: give the slip's times, or its duration. The "
        "elder or another staff member then confirms the payment."),
    "correction.title": ("按服务单更正已付的时长", "Correct the paid time from the slip"),
    "correction.hint": (
        "已付款的服务不能修改，只能更正：差额另记一笔账（多则从老人转给志愿者，少则退回老人），"
        "须由老人本人、另一位工作人员或管理员确认后才生效。",
        "A paid visit is never changed, only corrected: the difference is a journal entry of its "
        "own (more from the elder to the volunteer, less back to the elder), posted once the "
        "elder, another staff member or an admin confirms."),
    "correction.submit": ("登记更正", "Record the correction"),
    "correction.list": ("时长更正", "Corrections"),
    "correction.line": ("由 {before} 更正为 {after}", "{before} corrected to {after}"),
    "correction.pending": ("等待确认", "waiting for confirmation"),
    "correction.posted": ("已生效", "posted"),
    "correction.confirm": ("确认这条更正", "Confirm this correction"),
    "correction.withdrawn": ("已撤回", "withdrawn"),
    "correction.withdrawn_line": ("{who} 撤回：{reason}", "Withdrawn by {who}: {reason}"),
    "correction.withdraw": ("撤回这条更正", "Withdraw this correction"),
    "correction.withdraw_reason": ("撤回原因", "Why it is withdrawn"),
    "done.correction_withdrawn": ("更正已撤回，没有记账。",
                                  "The correction is withdrawn; nothing was booked."),
    "done.correction_recorded": (
        "更正已登记，请老人或另一位工作人员确认。",
        "The correction is recorded; the elder or another staff member confirms it."),
    "done.correction_posted": ("更正已生效，差额已记账。",
                               "The correction is posted; the difference is in the books."),
    "certificate.honour": ("星级", "Honour level"),
    "certificate.qualifications": ("培训与资质", "Training and qualifications"),
    "certificate.evaluations": ("服务评价", "Ratings"),
    "certificate.rating": ("{visits} 次评价，平均 {average} 分（满分 5 分）",
                           "{visits} rated visits, {average} of 5 on average"),
}
