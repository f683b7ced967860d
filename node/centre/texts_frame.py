"""The personal centre's words for its frame, signing in and errors, Chinese first.

Written for older people: short sentences, everyday words (余额, 时间, 退出), and no jargon
(no "token", no "account code"). Each message sits with both translations; node/centre/i18n.py
joins this with texts_pages.py. Placeholders use str.format names: `{name}`.
"""

from __future__ import annotations

from node.errors import ErrorCode

FRAME: dict[str, tuple[str, str]] = {
    "app.title": ("时间银行", "Time bank"),
    "lang.switch": ("English", "中文"),
    "lang.label": ("切换语言：English", "Change the language to Chinese"),
    "size.big": ("大字", "Larger text"),
    "size.normal": ("标准字", "Normal text"),
    "nav.home": ("回个人中心", "Back to my account"),
    "nav.logout": ("退出", "Sign out"),
    "acting.banner": ("您正在替 {name} 办事。", "You are acting for {name}."),
    "acting.back": ("回到我自己的账户", "Back to my own account"),
    # signing in
    "login.title": ("登录", "Sign in"),
    "login.intro": ("请输入会员卡上的会员号，和您自己设的密码。",
                    "Enter the member number on your card and the PIN you chose."),
    "login.member": ("会员号", "Member number"),
    "login.pin": ("密码", "PIN"),
    "login.submit": ("登录", "Sign in"),
    "login.help": ("忘了密码，或者还没有密码？请找服务站的工作人员帮忙。",
                   "Forgot your PIN, or have none yet? Ask the staff of your station."),
    "login.expired": ("请重新登录。", "Please sign in again."),
    "login.out": ("您已退出。", "You have signed out."),
    "login.wrong": ("会员号或密码不对，请再试一次。",
                    "The member number or the PIN is not right. Please try again."),
    "login.locked": (
        "输错的次数太多了。为了保护账户，这个会员号暂停登录，请 {minutes} 分钟后再试，"
        "或者请服务站的工作人员帮忙。",
        "Too many wrong tries. To protect the account, signing in with this member number "
        "is paused: please try again in {minutes} minutes, or ask the staff of your station."),
    "login.too_many": (
        "这台手机或电脑输错的次数太多了，请 {minutes} 分钟后再试。",
        "Too many wrong tries from this phone or computer. Please try again in {minutes} "
        "minutes."),
    # activation
    "activate.title": ("设置密码", "Set your PIN"),
    "activate.intro": ("请输入服务站给您的激活码，再设一个只有您自己知道的密码。",
                       "Enter the activation code your station gave you, then choose a PIN "
                       "only you know."),
    "activate.code": ("激活码", "Activation code"),
    "activate.code_help": ("在您的会员卡上，比如 K7QM-3XRA-9PTD", "On your member card, "
                           "for example K7QM-3XRA-9PTD"),
    "activate.pin": ("新密码（至少 6 位数字）", "New PIN (at least 6 digits)"),
    "activate.pin_help": ("不要用 123456、111111 这类好猜的数字，也不要用会员号。",
                          "Not an easy one like 123456 or 111111, and not your member "
                          "number."),
    "activate.pin_again": ("把新密码再输一次", "The new PIN once more"),
    "activate.submit": ("设置密码", "Set my PIN"),
    "activate.mismatch": ("两次输入的密码不一样，请重新输入。",
                          "The two PINs are not the same. Please type them again."),
    "activate.refused": (
        "这个激活码用不了：可能输错了、已经用过、换了新的，或者过期了。请找服务站要一个新的。",
        "This activation code cannot be used: it may be mistyped, used already, replaced by a "
        "newer one, or expired. Ask your station for a new one."),
    "activate.weak": (
        "这个密码太好猜了，请换一个：至少 6 位数字，不要用 123456、111111 这类，也不要用会员号。",
        "This PIN is too easy to guess. Please choose another: at least 6 digits, not like "
        "123456 or 111111, and not your member number."),
    "activated.title": ("密码设置好了", "Your PIN is set"),
    "activated.text": ("您的会员号是 {member}。以后用会员号和刚才设的密码登录。",
                       "Your member number is {member}. Sign in with it and the PIN you "
                       "just chose."),
    "activated.go": ("去登录", "Sign in now"),
    # errors
    "error.title": ("没能办成", "This could not be done"),
    "error.code": ("（代码：{code}）", "(code: {code})"),
    "error.again": ("再试一次", "Try again"),
    "error.other": ("没能办成。请稍后再试，或者请服务站的工作人员帮忙。",
                    "This could not be done. Please try again later, or ask the staff of "
                    "your station."),
    "error.csrf": ("这个页面放得太久了。请回到上一页，刷新后再试。",
                   "This page is out of date. Go back, reload the page and try again."),
    "error.form": ("填写的内容不对，请检查：{fields}", "Please check what you filled in: {fields}"),
    "error.amount": ("请填写整数的小时和 0 到 59 分钟，至少 1 分钟。",
                     "Give whole hours and 0 to 59 minutes, at least 1 minute in all."),
    "list.sep": ("、", ", "),
    "field.to": ("送给谁", "To whom"),
    "field.memo": ("留言", "the note"),
    "field.amount": ("送多少时间", "how much time"),
    "field.form": ("表单", "the form"),
}

# A sentence for each stable error code a member can meet on these pages.
ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.QUALIFICATION_REQUIRED: (
        "这类服务需要有效的资质证书（如医疗护理证）。请到服务站登记您的证书。",
        "This kind of service needs a valid qualification (such as a health-care certificate). "
        "Ask your station to record yours."),
    ErrorCode.FORBIDDEN: ("您不能查看或办理这个账户的事。",
                          "You may not see or act on this account."),
    ErrorCode.VALIDATION_FAILED: ("填写的内容不对，请检查后再试。",
                                  "Something you filled in is not right. Please check it."),
    ErrorCode.BAD_REQUEST: ("填写的内容不对，请检查后再试。",
                            "Something you filled in is not right. Please check it."),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: ("请用页面上的表格提交。",
                                       "Please use the form on the page."),
    ErrorCode.BODY_TOO_LARGE: ("填写的内容太长了。", "What you filled in is too long."),
    ErrorCode.ROUTE_NOT_FOUND: ("没有这个页面。", "There is no such page."),
    ErrorCode.INSUFFICIENT_FUNDS: ("余额不够。", "There are not enough hours."),
    ErrorCode.SAME_ACCOUNT: ("不能送给自己。", "You cannot give hours to yourself."),
    ErrorCode.MEMBER_NOT_FOUND: ("没有找到这个人，请检查会员号。",
                                 "Nobody has this member number here. Please check it."),
    ErrorCode.MEMBER_INACTIVE: ("这个账户已经停用了。", "This account is closed."),
    ErrorCode.MEMBER_RELOCATED: ("这个人的账户已经转到其他城市了。",
                                 "This person's account has moved to another city."),
    ErrorCode.UNKNOWN_NODE: ("没有这个城市节点，请检查 @ 后面的部分。",
                             "There is no such city node: check the part after @."),
    ErrorCode.NO_DIRECTORY: ("现在还不能送往其他城市，请以后再试。",
                             "Hours cannot go to other cities yet. Please try later."),
    ErrorCode.ROUTE_NOT_SUPPORTED: (
        "去那个城市的线路还在准备，时间没有送出，余额没有变。请过一会儿再送一次。",
        "The way to that city is still being prepared: nothing was sent and your hours are "
        "as they were. Please send it again in a moment."),
    ErrorCode.PEER_NOT_ACTIVE: ("对方城市暂时不能接收，请以后再试。",
                                "That city cannot receive hours now. Please try later."),
    ErrorCode.LINK_FROZEN: ("和对方城市的往来暂停了，请找服务站帮忙。",
                            "Exchange with that city is paused. Please ask your station."),
    ErrorCode.PARTNER_CAP_EXCEEDED: ("这两个城市之间送的时间已经到上限了，请以后再试。",
                                     "The limit between the two cities is reached. Please "
                                     "try later."),
    ErrorCode.OVERALL_CAP_EXCEEDED: ("送往其他城市的时间已经到上限了，请以后再试。",
                                     "The limit for other cities is reached. Please try later."),
    ErrorCode.AMOUNT_OUT_OF_RANGE: ("时间太多了，超出了允许的范围。",
                                    "That is more time than is allowed."),
    ErrorCode.RECIPIENT_NOT_ALLOWED: (
        "按本地的规定，时间只能送给登记过的亲人。请服务站帮您登记。",
        "By the rules here, hours go only to registered family. Ask your station to "
        "register them."),
    ErrorCode.NOT_ELIGIBLE: ("按本地的规定，现在还不能这样办。",
                             "By the rules here, this cannot be done now."),
    ErrorCode.AGE_UNKNOWN: ("需要您的出生年份，请找服务站登记。",
                            "Your year of birth is needed: ask your station to record it."),
    ErrorCode.TRANSFER_ID_CONFLICT: ("这张表已经送出过了。请回去刷新页面再填。",
                                     "This form was sent already. Go back, reload and fill it "
                                     "in again."),
    ErrorCode.TRANSFER_NOT_FOUND: ("没有找到这条记录。", "This record was not found."),
    ErrorCode.NOTIFICATION_NOT_FOUND: ("没有找到这条消息。", "This message was not found."),
    ErrorCode.OVERLOADED: ("现在用的人太多，请稍后再试。", "Many people are using it now. "
                           "Please try again shortly."),
    ErrorCode.NOT_MIGRATED: ("系统正在维护，请稍后再试。", "The system is being maintained. "
                             "Please try later."),
}
