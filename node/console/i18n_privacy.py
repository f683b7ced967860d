"""Catalogue entries of the member's personal-data page (pages_privacy.py): her personal data,
consent per purpose, export and erasure. Merged into node/console/i18n.py's CATALOGUE; the
same rules hold (both languages, same placeholders), Chinese first."""

from __future__ import annotations

from node.errors import ErrorCode

PRIVACY: dict[str, tuple[str, str]] = {
    "history.field.erased": ("个人信息注销", "erasure of personal data"),
    "history.erased": ("{when}，{who}已按本人申请删除其个人信息。理由：{reason}",
                       "{when}, {who} erased her personal data at her request. Reason: {reason}"),
    "privacy.link": ("个人信息与授权", "Personal data and consent"),
    "privacy.title": ("{name} 的个人信息", "Personal data of {name}"),
    "privacy.intro": (
        "这些信息与时间账本分开保存，只有本人、本站工作人员和管理员能看。每次查看和修改都会记入访问日志。",
        "Kept apart from the time ledger; only she, her station's staff and operators see it. "
        "Every view and change is written to the access log."),
    "privacy.data": ("个人信息", "Personal data"),
    # The home-visit contact page (pages_visit_contact.py), shown only with her consent.
    "visit.link": ("上门联系方式", "Home-visit contact"),
    "visit.title": ("{name} 的上门联系方式", "Home-visit contact of {name}"),
    "visit.intro": ("上门服务时使用：电话、紧急联系人和家庭住址。每次查看都会记入访问日志。",
                    "For a home visit: phone, emergency contact and home address. Every view "
                    "is written to the access log."),
    "visit.consented": ("她于 {when} 同意把这些信息交给上门的志愿者和工作人员。",
                        "She agreed on {when} that these are given to visiting volunteers and "
                        "staff."),
    "visit.no_consent": (
        "{name} 还没有同意把电话和住址交给上门的志愿者和工作人员，所以这里不显示。"
        "请先在“个人信息与授权”页记录她的同意（未满14周岁须由监护人同意）。",
        "{name} has not agreed that her phone and address are given to visiting volunteers "
        "and staff, so they are not shown. Record her consent on the personal-data page first "
        "(a guardian's for a member under 14)."),
    "visit.none": ("未登记", "not recorded"),
    # Kin that arrived with her relocation, waiting for staff (pages_kin_pending.py).
    "kin_pending.title": ("随迁入带来、待确认的亲属",
                          "Relatives who came with her move, to confirm"),
    "kin_pending.intro": (
        "原所在城市登记的父母、祖父母，在本站工作人员核对家属出示的证件并确认之前，"
        "不算监护人，也不能接受她赠送的时间。",
        "Parents and grandparents her old city recorded do not count as guardians or receive "
        "her gifts until staff here check the family's papers and confirm them."),
    "kin_pending.line": ("{relative} · {relation}（来自迁入 {relocation}）",
                         "{relative} · {relation} (from relocation {relocation})"),
    "kin_pending.confirm": ("核对无误，确认", "Papers checked: confirm"),
    "kin_pending.reject": ("不符，退回", "Does not match: reject"),
    "done.kin_confirmed": ("亲属关系已确认。", "The relative is confirmed."),
    "done.kin_rejected": ("已退回该亲属关系。", "The relation was rejected."),
    "privacy.phone": ("手机号码", "Phone"),
    "privacy.emergency_name": ("紧急联系人姓名", "Emergency contact's name"),
    "privacy.emergency_phone": ("紧急联系人电话", "Emergency contact's phone"),
    "privacy.home_address": ("家庭住址（上门服务用）", "Home address (for home visits)"),
    "privacy.id_number": ("身份证号码", "ID card number"),
    "privacy.id_now": ("已登记：{masked}。只保存加密摘要，不保存号码本身。留空表示不变。",
                       "On record: {masked}. Only a keyed hash is kept, never the number. "
                       "Leave empty to keep it."),
    "privacy.id_none": ("未登记。只保存加密摘要，用于发现重复登记。",
                        "None on record. Only a keyed hash is kept, to find duplicates."),
    "privacy.care_notes": ("照护备注", "Care notes"),
    "privacy.empty_help": ("清空某一栏即删除该项。", "Empty a field to delete it."),
    "privacy.save": ("保存", "Save"),
    "privacy.updated": ("最后修改：{when}", "Last changed {when}"),
    "privacy.duplicates": ("注意：以下成员登记了相同的身份证号码，可能是重复登记：{ids}",
                           "Note: these members have the same ID number on record, perhaps "
                           "registered twice: {ids}"),
    "privacy.consents": ("授权（按用途）", "Consent, purpose by purpose"),
    "privacy.consent_yes": ("已同意", "Consented"),
    "privacy.consent_no": ("未同意", "Not consented"),
    "privacy.give": ("记录同意", "Record consent"),
    "privacy.withdraw": ("撤回同意", "Withdraw"),
    "privacy.guardian": ("监护人姓名（未满14周岁或出生年份不详时必填）",
                         "Guardian's name (required under 14 or when the birth year is "
                         "unknown)"),
    "privacy.purpose.home_visit_contact": ("上门服务时把电话和住址告诉志愿者",
                                           "Phone and address given to visiting volunteers"),
    "privacy.purpose.notices": ("通过短信、微信或邮件发送通知",
                                "Notices by SMS, WeChat or e-mail"),
    "privacy.purpose.share_on_relocation": ("迁往其他城市时把资料转给新节点",
                                            "Her profile sent to the node she moves to"),
    "privacy.purpose.cross_node_gifts": ("向其他城市的亲属赠送时间时显示姓名",
                                         "Her name shown to kin at other nodes for gifts"),
    "privacy.export": ("导出全部信息", "Export everything"),
    "privacy.export_help": ("本人有权查阅和复制节点保存的关于她的全部信息。",
                            "She may see and copy everything the node holds about her."),
    "privacy.export_json": ("下载 JSON 文件", "Download JSON"),
    "privacy.export_print": ("打印版", "Printable page"),
    "privacy.erase": ("注销个人信息", "Erase personal data"),
    "privacy.erase_help": (
        "应本人书面申请：删除电话、住址、身份证摘要、联系方式和登录信息，姓名改为“已注销成员”。"
        "时间余额和账本记录保留，仍可核对。此操作不能撤销。",
        "At her written request: deletes phone, address, ID hash, contacts and sign-in; her "
        "name becomes “已注销成员”. Balances and the ledger stay and still verify. This "
        "cannot be undone."),
    "privacy.erase_reason": ("理由（如：本人书面申请）", "Why (e.g. her written request)"),
    "privacy.erase_confirm": ("我确认要注销她的个人信息", "I confirm erasing her personal data"),
    "privacy.erase_submit": ("注销", "Erase"),
    "privacy.erased": ("她的个人信息已注销。", "Her personal data has been erased."),
    "privacy.saved": ("已保存。", "Saved."),
    "privacy.print_title": ("个人信息导出：{id}", "Export of personal data: {id}"),
    "privacy.print_made": ("生成时间：{when}，节点：{node}", "Made {when} at node {node}"),
    "privacy.record": ("成员记录", "Member record"),
    "privacy.contacts": ("通知联系方式", "Contacts for notices"),
    "privacy.changes": ("信息更正记录", "Corrections of the record"),
    "privacy.balances": ("时间余额", "Balances"),
    "privacy.ledger": ("账本记录", "Ledger lines"),
    "privacy.access": ("访问日志", "Access log"),
    "privacy.none": ("无", "None"),
    "privacy.action.read": ("查看", "read"),
    "privacy.action.change": ("修改", "changed"),
    "privacy.action.export": ("导出", "exported"),
    "privacy.action.erase": ("注销", "erased"),
    "privacy.result.allowed": ("已允许", "allowed"),
    "privacy.result.refused": ("已拒绝", "refused"),
    "privacy.access_row": ("{when} · {actor} · {action} · {fields} · {result}",
                           "{when} · {actor} · {action} · {fields} · {result}"),
}

PRIVACY_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.KIN_PENDING_NOT_FOUND: (
        "这位亲属不在待确认名单上（可能已被确认或退回），请刷新成员页面。",
        "That relative is not waiting for confirmation (perhaps already confirmed or "
        "rejected): reload the member's page."),
    ErrorCode.GUARDIAN_REQUIRED: (
        "未满14周岁（或出生年份不详）的成员，须由监护人同意，请填写监护人姓名。",
        "A member under 14 (or whose birth year is unknown) consents through a guardian: "
        "enter the guardian's name."),
    ErrorCode.MEMBER_ERASED: (
        "该成员的个人信息已注销，不能再登记新的个人信息。",
        "This member's personal data was erased: no new personal data can be recorded."),
    ErrorCode.ACCESS_LOG_INVALID: (
        "访问日志核对未通过，可能被改动过，请联系运维人员。",
        "The access log does not verify and may have been changed: contact the operator."),
    ErrorCode.CONSENT_REQUIRED: (
        "该成员还没有同意这样使用她的信息（迁出时带走个人资料、向其他城市的亲属赠送时间、"
        "上门联系方式）：请先在“个人信息与授权”页登记她对这一用途的同意，或不带个人资料迁出。",
        "She has not agreed to this use of her data (her profile on moving, gifts to relatives "
        "in other cities, her contact for home visits): record her consent for that purpose on "
        "the personal-data page first, or move her without her profile."),
}
