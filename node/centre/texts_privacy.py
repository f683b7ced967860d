"""The personal centre's words for her personal data page (/me/privacy), Chinese first (see
texts_frame.py for the rules of tone): plain words, no law articles, what she can do."""

from __future__ import annotations

from node.errors import ErrorCode

PRIVACY: dict[str, tuple[str, str]] = {
    "home.privacy": ("我的个人信息", "My personal data"),
    "me_privacy.title": ("我的个人信息", "My personal data"),
    "me_privacy.title_acting": ("{name} 的个人信息", "{name}'s personal data"),
    "me_privacy.intro": ("这些信息和时间账本分开保存。谁看过、改过，都有记录，"
                         "您可以在下面的导出里看到。",
                         "This is kept apart from your hours. Every look and every change is "
                         "recorded; you can see who in the export below."),
    "me_privacy.saved": ("已保存。", "Saved."),
    "me_privacy.data": ("我的信息", "My details"),
    "me_privacy.phone": ("手机号码", "Phone"),
    "me_privacy.emergency_name": ("紧急联系人姓名", "Emergency contact's name"),
    "me_privacy.emergency_phone": ("紧急联系人电话", "Emergency contact's phone"),
    "me_privacy.home_address": ("家庭住址（上门服务用）", "Home address (for home visits)"),
    "me_privacy.id": ("身份证号码", "ID card number"),
    "me_privacy.id_help": ("只保存加密后的摘要，号码本身不保存。要更改请带身份证到服务站。",
                           "Only a sealed digest is kept, never the number. To change it, "
                           "bring your ID card to your station."),
    "me_privacy.care_notes": ("照护备注（由服务站填写）", "Care notes (written by your station)"),
    "me_privacy.none": ("未填写", "Not given"),
    "me_privacy.empty_help": ("清空某一栏，就删除这一项。", "Empty a box to delete it."),
    "me_privacy.save": ("保存", "Save"),
    "me_privacy.consents": ("我同意的用途", "What I agree to"),
    "me_privacy.yes": ("已同意", "Agreed"),
    "me_privacy.no": ("未同意", "Not agreed"),
    "me_privacy.give": ("同意", "Agree"),
    "me_privacy.withdraw": ("撤回同意", "Withdraw"),
    "me_privacy.guardian": ("监护人姓名（未满14岁须填写）", "Guardian's name (under 14)"),
    "me_privacy.purpose.home_visit_contact": ("上门服务时，把电话和住址告诉志愿者",
                                              "Give my phone and address to visiting "
                                              "volunteers"),
    "me_privacy.purpose.notices": ("用短信、微信或邮件给我发通知",
                                   "Send me notices by SMS, WeChat or e-mail"),
    "me_privacy.purpose.share_on_relocation": ("搬到别的城市时，把我的资料转给新的时间银行",
                                               "Send my details to the time bank of a city "
                                               "I move to"),
    "me_privacy.purpose.cross_node_gifts": ("给别的城市的亲属赠送时间时，显示我的姓名",
                                            "Show my name to family in other cities when "
                                            "I give them hours"),
    "me_privacy.export": ("下载我的全部信息", "Download everything about me"),
    "me_privacy.export_json": ("下载文件（JSON）", "Download a file (JSON)"),
    "me_privacy.export_print": ("打开打印版", "Open a page to print"),
    "me_privacy.erase": ("注销个人信息", "Erasing my personal data"),
    "me_privacy.erase_help": ("如需注销，请到服务站提出书面申请。注销后，您的姓名、电话、住址等"
                              "会被删除，时间记录仍保留以备核对。",
                              "To have your personal data erased, ask your station in writing. "
                              "Your name, phone, address and the like are then deleted; the "
                              "record of your hours stays so that it can be checked."),
    "me_privacy.print_title": ("关于我的全部信息", "Everything held about me"),
    "me_privacy.print_made": ("{when} 生成", "Made {when}"),
    "me_privacy.record": ("会员信息", "My record"),
    "me_privacy.contacts": ("通知方式", "Where notices go"),
    "me_privacy.balances": ("时间余额", "My hours"),
    "me_privacy.ledger": ("时间记录", "Hours in and out"),
    "me_privacy.access": ("谁看过或改过我的信息", "Who looked at or changed my data"),
    "me_privacy.changes": ("信息更正记录", "Corrections of my record"),
    "me_privacy.allowed": ("允许", "allowed"),
    "me_privacy.refused": ("被拒绝", "refused"),
}

PRIVACY_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.GUARDIAN_REQUIRED: ("未满14岁的会员，要由监护人同意，请填写监护人姓名。",
                                  "Under 14, a guardian agrees for you: please write the "
                                  "guardian's name."),
    ErrorCode.MEMBER_ERASED: ("您的个人信息已注销，不能再填写。",
                              "Your personal data was erased; nothing new can be added."),
    ErrorCode.CONSENT_REQUIRED: ("还没有登记您对这一用途的同意（例如把个人资料交给新城市、"
                                 "向其他城市的亲属赠送时间），请先同意或请服务站登记。",
                                 "Your consent to this use is not on record (your details for "
                                 "the new city, gifts to relatives in other cities): agree "
                                 "first, or ask your station to record it."),
    ErrorCode.ACCESS_LOG_INVALID: ("系统记录核对有误，请联系服务站。",
                                   "A system record does not check out; please tell your "
                                   "station."),
}
