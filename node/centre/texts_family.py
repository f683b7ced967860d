"""The personal centre's words for family access (/me/family) and where notices go
(/me/contacts), Chinese first (see texts_frame.py for the rules of tone).

What a delegate may do (`family.may.*`) is said as node/access.py and the services decide it;
pages_family.DELEGATE_MAY names the rule behind each line, and tests/node/centre/test_family.py
checks every line against the services.
"""

from __future__ import annotations

FAMILY: dict[str, tuple[str, str]] = {
    "home.family": ("家人代办", "Family access"),
    "home.contacts": ("接收通知的方式", "How I get notices"),
    # /me/family
    "family.title": ("家人代办", "Family access"),
    "family.intro": ("您可以让登记过的亲人替您办事。随时都可以取消。",
                     "You can let registered family act for you, and end it at any time."),
    "family.mine": ("现在可以替我办事的人", "Who may act for me now"),
    "family.mine_acting": ("现在可以替 {name} 办事的人", "Who may act for {name} now"),
    "family.none": ("现在没有人可以替您办事。", "Nobody may act for you now."),
    "family.none_acting": ("现在没有人可以替 {name} 办事。", "Nobody may act for {name} now."),
    "family.since": ("从 {when} 起，由{who}登记", "since {when}, recorded by {who}"),
    "family.ended": ("{start} 到 {end}，由{who}取消",
                     "from {start} to {end}, ended by {who}"),
    "family.before": ("以前替我办过事的人", "Who acted for me before"),
    "family.before_acting": ("以前替 {name} 办过事的人", "Who acted for {name} before"),
    "family.end": ("取消 {name} 的代办", "End {name}'s access"),
    "family.add": ("让亲人替我办事", "Let family act for me"),
    "family.add_intro": ("这些是登记过的亲人，也在本站有账户：",
                         "Your registered family with an account here:"),
    "family.add_one": ("让 {name} 替我办事", "Let {name} act for me"),
    "family.add_none": ("没有可以选的亲人。亲人要先在本站开户，再由服务站登记为您的亲人。",
                        "There is nobody to choose. Your relative needs an account here "
                        "first, and your station registers him as your family."),
    "family.acts_for": ("我可以替他们办事", "I may act for"),
    "family.open": ("打开 {name} 的账户", "Open {name}'s account"),
    "family.leave": ("不再替 {name} 办事", "Stop acting for {name}"),
    "family.only_elder": ("只有 {name} 本人或服务站可以让别人代办。",
                          "Only {name} herself or the station can let others act for her."),
    "family.done.granted": ("好了，{name} 现在可以替您办事了。",
                            "Done: {name} may act for you now."),
    "family.done.ended": ("好了，{name} 不能再替您办事了。",
                          "Done: {name} may no longer act for you."),
    "family.done.left": ("好了，您不再替对方办事了。", "Done: you no longer act for them."),
    "family.by.you": ("您自己", "you"),
    "family.by.staff": ("服务站工作人员", "station staff"),
    "family.by.admin": ("管理员", "an administrator"),
    # the confirmations
    "family.grant_title": ("让 {name} 替您办事？", "Let {name} act for you?"),
    "family.grant_lead": ("{name} 将可以替您办事：", "{name} will be able to act for you:"),
    "family.may.read": ("查看您的时间余额和每一笔记录", "see your balance and every record"),
    "family.may.send": ("替您送时间给别人", "give your hours to others"),
    "family.may.needs": ("替您发布需求，服务做完后替您确认、评分、付时间，或者投诉",
                         "post needs for you, and when a visit is done, confirm it, rate it, "
                         "pay for it, or complain"),
    "family.may.notes": ("看您的消息，修改您接收通知的方式",
                         "read your messages and change how you get notices"),
    "family.may_not": ("{name} 不能替您让别人代办，也不能取消别人的代办。",
                       "{name} cannot let anyone else act for you, nor end anyone else's "
                       "access."),
    "family.records": ("每一件事都会记下是 {name} 办的。您随时可以在这一页取消。",
                       "Every record will name {name} as the one who did it. You can end "
                       "this at any time on this page."),
    "family.grant_yes": ("是的，让 {name} 替我办事", "Yes, let {name} act for me"),
    "family.end_title": ("取消 {name} 的代办？", "End {name}'s access?"),
    "family.end_lead": ("取消以后，{name} 就不能再替您办事了。以前办过的事都还记着。",
                        "Then {name} may no longer act for you. What was done stays on "
                        "record."),
    "family.end_yes": ("是的，取消 {name} 的代办", "Yes, end {name}'s access"),
    "family.leave_title": ("不再替 {name} 办事？", "Stop acting for {name}?"),
    "family.leave_lead": ("以后您就不能再替 {name} 办事了。"
                          "要重新开始，需要 {name} 或服务站再同意。",
                          "You will no longer be able to act for {name}. To start again, "
                          "{name} or the station must agree again."),
    "family.leave_yes": ("是的，我不再替 {name} 办事", "Yes, I stop acting for {name}"),
    "family.no": ("不了，返回", "No, go back"),
    # /me/contacts
    "contacts.title": ("接收通知的方式", "How I get notices"),
    "contacts.title_acting": ("{name} 接收通知的方式", "How {name} gets notices"),
    "contacts.intro": ("您的消息都会放在「我的消息」里。"
                       "如果愿意，也可以同时用短信、微信或电子邮件通知您。",
                       "Every notice is in “My messages”. If you like, you can also get it by "
                       "text message, WeChat or e-mail."),
    "contacts.by_gateway_recipient": ("短信或微信", "text message or WeChat"),
    "contacts.by_email": ("电子邮件", "e-mail"),
    "contacts.now": ("现在还会通过：{channels}", "Also sent now by: {channels}"),
    "contacts.now_none": ("现在只放在「我的消息」里。", "Now only in “My messages”."),
    "contacts.label_gateway_recipient": ("手机号或微信号（短信、微信通知用）",
                                         "Phone number or WeChat id (for text messages or "
                                         "WeChat)"),
    "contacts.help_gateway_recipient": ("手机号请这样写：+8613912345678。"
                                        "不想收短信或微信，就空着。",
                                        "Write a phone number like +8613912345678. Leave it "
                                        "empty for no text messages or WeChat."),
    "contacts.label_email": ("电子邮件地址", "E-mail address"),
    "contacts.help_email": ("不想收电子邮件，就空着。", "Leave it empty for no e-mail."),
    "contacts.off": ("本站现在还不发这种通知，先填上也可以。",
                     "This node does not send these yet; you may fill it in already."),
    "contacts.save": ("保存", "Save"),
    "contacts.saved": ("保存好了。", "Saved."),
    "contacts.changed": ("上次修改：{when}，由{who}修改", "Last changed {when} by {who}"),
    "contacts.private": (
        "这些是您的个人信息，只有您、替您办事的亲人、您的服务站和本站管理员能看到。"
        "每次查看都会记下来。",
        "This is your personal information: only you, family who act for you, your station "
        "and this node's administrators can see it. Every look is recorded."),
    "field.delegate": ("亲人", "the relative"),
    "field.member": ("会员号", "the member number"),
    "field.email": ("电子邮件地址", "the e-mail address"),
    "field.gateway_recipient": ("手机号或微信号", "the phone number or WeChat id"),
    "field.done": ("页面地址", "the page address"),
    "error.delegate_not_kin": ("只有登记过的亲人，并且在本站有账户，才能替您办事。请找服务站登记。",
                               "Only registered family with an account here may act for you. "
                               "Ask your station to register them."),
    "error.delegate_not_found": ("这个人现在并没有代办。", "This person has no access now."),
}
