"""The console's message catalogue: every string a person reads, in Chinese and English.

Chinese is the default (the staff of a Chinese time bank station); English is one click away.
Each message sits with both its translations, so a missing one shows in review and in
tests/node/console/test_i18n.py. Placeholders use str.format names: `{name}`.

Errors are shown by their stable code (node/errors.py): `error.<code>` when the catalogue has a
message for it, else a general sentence that names the code, so a new code still reads sensibly.
The pages on signing in and families (i18n_people.py) and the rarer error codes
(i18n_errors.py) keep their entries in modules of their own, merged below.
"""

from __future__ import annotations

from typing import Any

from node.console.i18n_certificates import CERTIFICATES
from node.console.i18n_errors import MORE_ERRORS
from node.console.i18n_imports import IMPORTS, PROBLEMS
from node.console.i18n_member_edits import MEMBER_EDITS, MEMBER_EDITS_ERRORS
from node.console.i18n_people import PEOPLE, PEOPLE_ERRORS
from node.console.i18n_privacy import PRIVACY, PRIVACY_ERRORS
from node.console.i18n_records import RECORDS
from node.console.i18n_slips import SLIPS, SLIPS_ERRORS
from node.console.i18n_staff import STAFF, STAFF_ERRORS
from node.errors import ErrorCode

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

_BASE: dict[str, tuple[str, str]] = {
    # frame
    "app.title": ("时间银行工作台", "Time bank console"),
    "app.node": ("节点 {node_id}", "Node {node_id}"),
    "app.signed_in": ("当前身份：{who}", "Signed in as {who}"),
    "app.skip": ("跳到正文", "Skip to content"),
    "lang.switch": ("English", "中文"),
    "lang.switch_label": ("切换语言", "Change language"),
    "nav.main": ("主菜单", "Main menu"),
    "nav.members": ("成员", "Members"),
    "nav.requests": ("服务需求", "Service requests"),
    "nav.disputes": ("投诉与争议", "Disputes"),
    "nav.logout": ("退出", "Log out"),
    "role.admin": ("管理员", "operator"),
    "role.staff": ("服务站工作人员（{station}）", "station staff ({station})"),
    # login
    "login.title": ("工作人员登录", "Staff login"),
    "login.intro": (
        "请输入管理员发给您的访问令牌（以 hb_ 开头）。",
        "Enter the API token your operator gave you (it starts with hb_).",
    ),
    "login.token": ("访问令牌", "API token"),
    "login.submit": ("登录", "Log in"),
    "login.only_staff": (
        "本工作台仅供服务站工作人员和管理员使用。",
        "This console is for station staff and operators only.",
    ),
    "login.expired": ("请重新登录。", "Please log in again."),
    "logout.done": ("您已退出。", "You have logged out."),
    # members
    "members.title": ("成员", "Members"),
    "members.search": ("查找成员", "Find a member"),
    "members.search_label": ("编号或姓名", "ID or name"),
    "members.search_submit": ("查找", "Search"),
    "members.none": ("没有找到成员。", "No members found."),
    "members.more": ("下一页", "Next page"),
    "members.col_id": ("编号", "ID"),
    "members.col_name": ("姓名", "Name"),
    "members.col_station": ("服务站", "Station"),
    "members.col_birth_year": ("出生年份", "Year of birth"),
    "members.col_status": ("状态", "Status"),
    "members.register": ("登记新成员", "Register a member"),
    "members.register_submit": ("登记", "Register"),
    "member.title": ("成员：{name}", "Member: {name}"),
    "member.address": ("地址", "Address"),
    "member.balance": ("余额", "Balance"),
    "member.available": ("可用", "Available"),
    "member.pending_out": ("转出中（已预留）", "Being sent (reserved)"),
    "member.by_class": ("按来源分类", "By kind of hours"),
    "member.no_hours": ("暂无时间。", "No hours yet."),
    "member.statement": ("最近记录", "Recent entries"),
    "member.statement_none": ("暂无记录。", "No entries yet."),
    "member.older": ("更早的记录", "Older entries"),
    "member.col_when": ("时间", "When"),
    "member.col_what": ("事项", "What"),
    "member.col_with": ("对方", "With"),
    "member.col_amount": ("变动", "Change"),
    "member.col_after": ("余额", "Balance after"),
    "member.moved": ("该成员已迁往 {address}。", "This member moved to {address}."),
    "status.active": ("正常", "active"),
    "status.deactivated": ("已停用", "deactivated"),
    # fields
    "field.local_id": ("成员编号", "Member ID"),
    "field.local_id_help": (
        "小写字母、数字、点、横线，例如 wang.fang",
        "lowercase letters, digits, dots and dashes, e.g. wang.fang",
    ),
    "field.display_name": ("姓名", "Name"),
    "field.birth_year": ("出生年份（可不填）", "Year of birth (optional)"),
    "field.hours": ("小时", "hours"),
    "field.minutes": ("分钟", "minutes"),
    "field.amount": ("时长", "Amount"),
    "field.amount_minutes": ("时长", "Amount"),
    "field.id": ("表单编号（请刷新页面）", "Form id (reload the page)"),
    "field.form": ("表单", "the form"),
    "field.credit_class": ("类别", "Kind of hours"),
    "field.reason": ("理由", "Reason"),
    "field.to": ("转给（成员编号或地址）", "To (member ID or address)"),
    "field.memo": ("备注（可不填）", "Note (optional)"),
    # vetting
    "vetting.title": ("困难审核", "Vetting"),
    "vetting.intro": (
        "记录审核结果：困难成员可提前享受服务；受补贴成员的服务由本节点支付。",
        "Record the result: members in hardship may redeem earlier; a subsidised member's "
        "services are paid by the node."),
    "vetting.hardship": ("困难成员", "In hardship"),
    "vetting.subsidised": ("服务由本节点补贴", "Services paid by the node"),
    "vetting.none": ("尚未审核。", "Not vetted yet."),
    "vetting.by": ("{who} 于 {when} 审核：{reason}", "Vetted by {who} on {when}: {reason}"),
    "vetting.submit": ("保存审核结果", "Save the vetting"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "done.vetted": ("审核结果已保存。", "The vetting is saved."),
    # grants and transfers
    "grant.title": ("发放时间", "Grant hours"),
    "grant.intro": (
        "为经过审核的困难成员发放时间（记入发放账户）。",
        "Grant hours from the node's issuance to a vetted member in need.",
    ),
    "grant.submit": ("发放", "Grant"),
    "transfer.title": ("代成员转出时间", "Transfer hours for this member"),
    "transfer.submit": ("转出", "Transfer"),
    "class.earned": ("服务所得", "earned"),
    "class.granted": ("发放", "granted"),
    "class.sponsored": ("捐助", "sponsored"),
    "class.donated": ("受赠", "donated"),
    "class.group_earned": ("团队所得", "group-earned"),
    "entry.grant": ("发放", "grant"),
    "entry.transfer": ("转账", "transfer"),
    "entry.transfer_out": ("跨节点转出", "sent to another node"),
    "entry.transfer_settle": ("跨节点转出完成", "sent to another node"),
    "entry.transfer_release": ("转出退回", "transfer returned"),
    "entry.transfer_in": ("跨节点转入", "received from another node"),
    "entry.relocation_in": ("迁入", "moved in"),
    "entry.relocation_out": ("迁出", "moved out"),
    "entry.reversal": ("冲正", "reversal"),
    "account.issuance": ("本节点发放", "node issuance"),
    "account.redemption": ("兑换", "redemption"),
    "account.expiry": ("过期", "expiry"),
    "account.pending": ("转出预留", "reserved for sending"),
    "done.member_registered": ("成员已登记。", "The member is registered."),
    "done.grant_made": ("时间已发放。", "The hours are granted."),
    "done.transfer_made": ("转账已完成。", "The transfer is done."),
    "done.transfer_sent": (
        "转账已提交，正在发往对方节点。", "The transfer is on its way to the other node."),
    # service requests
    "requests.title": ("服务需求", "Service requests"),
    "requests.filter": ("按状态筛选", "Show by state"),
    "requests.all": ("全部", "all"),
    "requests.show": ("显示", "Show"),
    "requests.none": ("没有服务需求。", "No service requests."),
    "requests.more": ("下一页", "Next page"),
    "requests.post": ("为老人发布服务需求", "Post a request for an elder"),
    "requests.post_submit": ("发布", "Post"),
    "requests.col_id": ("编号", "Number"),
    "requests.col_recipient": ("服务对象", "For"),
    "requests.col_service": ("服务", "Service"),
    "requests.col_volunteer": ("志愿者", "Volunteer"),
    "requests.col_state": ("状态", "State"),
    "requests.col_posted": ("发布时间", "Posted"),
    "request.title": ("服务需求 {id}", "Service request {id}"),
    "request.for": ("服务对象", "For"),
    "request.service": ("服务", "Service"),
    "request.description": ("说明", "Details"),
    "request.volunteer": ("志愿者", "Volunteer"),
    "request.payer": ("付款方", "Paid by"),
    "request.payer_recipient": ("服务对象的时间", "the member's own hours"),
    "request.payer_issuance": ("本节点补贴", "the node's subsidy"),
    "request.times": ("时间", "Times"),
    "request.checked_in": ("签到", "Checked in"),
    "request.checked_out": ("签退", "Checked out"),
    "request.duration": ("服务时长（记录）", "Time (recorded)"),
    "request.price": ("价格", "Price"),
    "request.held": ("暂扣待付", "Held until confirmed"),
    "request.credited": ("志愿者所得", "Credited to the volunteer"),
    "request.overflow": ("超出上限（转入爱心池）", "Over the caps (to the pool)"),
    "request.refunded": ("退回", "Refunded"),
    "request.rating": ("评分", "Rating"),
    "request.comment": ("评价", "Comment"),
    "request.dispute": ("投诉", "Complaint"),
    "request.dispute_reason": ("投诉理由", "Complaint"),
    "request.resolution": ("处理结果", "Resolution"),
    "request.history": ("处理记录", "History"),
    "request.col_action": ("操作", "Step"),
    "request.col_actor": ("操作人", "By"),
    "request.col_detail": ("说明", "Details"),
    "request.next": ("下一步", "Next step"),
    "request.accept": ("代志愿者接单", "Accept for a volunteer"),
    "request.accept_submit": ("接单", "Accept"),
    "request.check_in_submit": ("志愿者签到", "Volunteer checks in"),
    "request.check_out_submit": ("志愿者签退", "Volunteer checks out"),
    "request.confirm": ("确认并评价（将向志愿者付款）", "Confirm and rate (pays the volunteer)"),
    "request.confirm_submit": ("确认并付款", "Confirm and pay"),
    "request.duties_hint": (
        "付款须由服务对象本人、另一位工作人员或管理员确认，代志愿者接单、签到或签退的人不能确认。",
        "Payment is approved by the recipient, another staff member or an admin, never by "
        "whoever accepted, checked in or checked out for the volunteer."),
    "request.complain": ("投诉（暂停付款）", "Complain (the payment is held)"),
    "request.complain_submit": ("提交投诉", "File the complaint"),
    "request.cancel": ("取消需求", "Cancel the request"),
    "request.cancel_submit": ("取消", "Cancel"),
    "request.resolve": ("处理投诉", "Resolve the complaint"),
    "request.resolve_submit": ("处理", "Resolve"),
    "request.partial_amount": (
        "部分支付时，付给志愿者的时长", "For a partial payment: paid to the volunteer"),
    "request.nothing_to_do": ("此需求已办结。", "This request is closed."),
    "field.recipient": ("服务对象（成员编号）", "For (member ID)"),
    "field.category": ("服务类别", "Category"),
    "field.item": ("服务项目", "Service item"),
    "field.description": ("说明（可不填）", "Details (optional)"),
    "field.volunteer": ("志愿者（成员编号）", "Volunteer (member ID)"),
    "field.rating": ("评分（1–5）", "Rating (1–5)"),
    "field.comment": ("评价（可不填）", "Comment (optional)"),
    "field.outcome": ("处理方式", "Outcome"),
    "field.released_minutes": ("付给志愿者的时长", "Paid to the volunteer"),
    "field.any": ("（不指定）", "(none)"),
    "state.open": ("待接单", "open"),
    "state.accepted": ("已接单", "accepted"),
    "state.in_progress": ("服务中", "in progress"),
    "state.completed": ("已完成，待确认", "done, to confirm"),
    "state.disputed": ("投诉处理中", "under complaint"),
    "state.paid": ("已付款", "paid"),
    "state.refunded": ("已退回", "refunded"),
    "state.cancelled": ("已取消", "cancelled"),
    "outcome.release": ("全部付给志愿者", "pay the volunteer in full"),
    "outcome.refund": ("全部退回", "refund in full"),
    "outcome.partial": ("部分支付，其余退回", "pay part, refund the rest"),
    "history.posted": ("发布", "posted"),
    "history.accepted": ("接单", "accepted"),
    "history.checked_in": ("签到", "checked in"),
    "history.checked_out": ("签退", "checked out"),
    "history.confirmed": ("确认付款", "confirmed and paid"),
    "history.cancelled": ("取消", "cancelled"),
    "history.complaint": ("投诉", "complaint"),
    "history.resolved_release": ("处理：全部支付", "resolved: paid in full"),
    "history.resolved_refund": ("处理：全部退回", "resolved: refunded"),
    "history.resolved_partial": ("处理：部分支付", "resolved: paid in part"),
    "done.request_posted": ("服务需求已发布。", "The request is posted."),
    "done.step_accept": ("已接单。", "Accepted."),
    "done.step_check_in": ("已签到。", "Checked in."),
    "done.step_check_out": ("已签退，费用已暂扣待确认。", "Checked out; the payment is held."),
    "done.step_confirm": ("已确认，志愿者已收到时间。", "Confirmed; the volunteer is paid."),
    "done.step_complaint": ("投诉已登记，付款暂停。", "The complaint is filed; payment is held."),
    "done.step_resolution": ("投诉已处理。", "The complaint is resolved."),
    "done.step_cancel": ("需求已取消。", "The request is cancelled."),
    "entry.service_hold": ("服务费用暂扣", "service payment held"),
    "entry.service_settle": ("服务结算", "service settled"),
    "entry.service_adjust": ("服务时长更正", "service time corrected"),
    "entry.goods_redemption": ("兑换物品", "goods"),
    "entry.donation": ("捐赠", "donation"),
    "entry.distribution": ("爱心池发放", "from the pool"),
    "entry.estate": ("身故成员的时间转出", "a deceased member's hours passed on"),
    "account.pending:services": ("服务暂扣", "held for services"),
    # disputes
    "disputes.title": ("投诉与争议", "Disputes"),
    "disputes.open": ("待处理", "open"),
    "disputes.resolved": ("已处理", "resolved"),
    "disputes.none": ("没有投诉。", "No disputes."),
    "disputes.col_request": ("服务需求", "Request"),
    "disputes.col_raised": ("投诉时间", "Raised"),
    "disputes.col_held": ("暂扣", "Held"),
    "disputes.col_reason": ("理由", "Reason"),
    "disputes.col_state": ("状态", "State"),
    "dispute.open": ("待处理", "open"),
    "dispute.resolved": ("已处理", "resolved"),
    # amounts and times
    "amount.hm": ("{hours} 小时 {minutes} 分", "{hours} h {minutes} min"),
    "amount.h": ("{hours} 小时", "{hours} h"),
    "amount.m": ("{minutes} 分", "{minutes} min"),
    "time.zone": ("北京时间", "China time"),
    # errors
    "error.title": ("无法完成", "Could not be done"),
    "error.back": ("返回", "Go back"),
    "error.code": ("代码：{code}", "Code: {code}"),
    "error.other": ("操作未能完成（{code}）。", "This could not be done ({code})."),
    "error.csrf": (
        "表单已过期，请刷新页面后重试。", "The form has expired. Reload the page and try again."),
    "list.sep": ("、", ", "),
    "error.form": ("请检查表单：{fields}", "Please check the form: {fields}"),
    "error.amount": (
        "时长请填写整数小时和 0–59 分钟。", "Give the amount as whole hours and 0–59 minutes."),
    "error.no_page": ("没有这个页面。", "There is no such page."),
}

# A readable sentence for each stable error code the console's pages can meet.
_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.VALIDATION_FAILED: ("填写的内容不符合要求。", "Something in the form is not valid."),
    ErrorCode.BAD_REQUEST: ("请求无效。", "The request is not valid."),
    ErrorCode.MALFORMED_JSON: ("请求无效。", "The request is not valid."),
    ErrorCode.BODY_TOO_LARGE: ("提交的内容太长。", "What was sent is too long."),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: (
        "请通过页面上的表单提交。", "Please use the form on the page."),
    ErrorCode.ROUTE_NOT_FOUND: ("没有这个页面。", "There is no such page."),
    ErrorCode.UNAUTHENTICATED: ("访问令牌无效或已被注销。", "The API token is unknown or revoked."),
    ErrorCode.FORBIDDEN: ("您没有权限进行此操作。", "You are not allowed to do this."),
    ErrorCode.MEMBER_NOT_FOUND: ("没有这个成员。", "There is no such member."),
    ErrorCode.TRANSFER_NOT_FOUND: ("没有这笔转账。", "There is no such transfer."),
    ErrorCode.GRANT_NOT_FOUND: ("没有这笔发放。", "There is no such grant."),
    ErrorCode.MEMBER_EXISTS: ("这个成员编号已被使用。", "This member ID is taken."),
    ErrorCode.LOCAL_ID_RESERVED: (
        "这个编号属于本节点的系统账户（爱心池），不能用作成员编号。",
        "This ID belongs to an account of the node itself (the donation pool)."),
    ErrorCode.TRANSFER_ID_CONFLICT: (
        "这张表单已提交过不同的内容，请刷新后重试。",
        "This form was already sent with other values; reload and try again."),
    ErrorCode.GRANT_ID_CONFLICT: (
        "这张表单已提交过不同的内容，请刷新后重试。",
        "This form was already sent with other values; reload and try again."),
    ErrorCode.INSUFFICIENT_FUNDS: ("余额不足。", "There are not enough hours."),
    ErrorCode.MEMBER_INACTIVE: ("该成员账户已停用。", "This member's account is deactivated."),
    ErrorCode.MEMBER_RELOCATED: (
        "该成员已迁往其他节点。", "This member has moved to another node."),
    ErrorCode.SAME_ACCOUNT: ("不能转给自己。", "A member cannot send hours to themselves."),
    ErrorCode.UNKNOWN_NODE: ("联盟中没有这个节点。", "No such node in the federation."),
    ErrorCode.AMOUNT_OUT_OF_RANGE: ("时长超出允许范围。", "The amount is out of range."),
    ErrorCode.NO_DIRECTORY: (
        "本节点尚未载入联盟目录，暂不能跨节点转账。",
        "This node holds no federation directory yet; cross-node transfers must wait."),
    ErrorCode.PEER_NOT_ACTIVE: ("对方节点目前不可用。", "The other node is not active now."),
    ErrorCode.LINK_FROZEN: (
        "与对方节点的往来已冻结，请联系管理员。",
        "Exchange with that node is frozen; contact the operator."),
    ErrorCode.PARTNER_CAP_EXCEEDED: (
        "超出与对方节点的结算上限。", "This would pass the limit agreed with that node."),
    ErrorCode.OVERALL_CAP_EXCEEDED: (
        "超出本节点的结算总上限。", "This would pass the node's overall limit."),
    ErrorCode.OPEN_TRANSFERS: (
        "该成员还有未完成的转账。", "This member still has transfers under way."),
    ErrorCode.OPEN_SERVICE_REQUESTS: (
        "该成员还有未结清的服务需求，请先完成确认或取消。",
        "This member still has service requests to settle: confirm or cancel them first."),
    ErrorCode.SERVICE_REQUEST_NOT_FOUND: ("没有这个服务需求。", "There is no such request."),
    ErrorCode.SERVICE_REQUEST_ID_CONFLICT: (
        "这张表单已提交过不同的内容，请刷新后重试。",
        "This form was already sent with other values; reload and try again."),
    ErrorCode.SERVICE_REQUEST_STATE: (
        "这个需求目前不能进行此操作（可能已被他人处理），请刷新页面。",
        "This step does not fit the request's state now (someone may have acted); reload."),
    ErrorCode.SEPARATION_OF_DUTIES: (
        "您曾代志愿者接单、签到、签退或补录服务单，不能再确认付款：请由服务对象本人、另一位工作人员或管理员确认。",
        "You acted for the volunteer (accepted, checked in or out, or recorded the paper slip), "
        "so you cannot also approve the payment: the recipient, another staff member or an "
        "admin must."),
    ErrorCode.SUBSIDY_CAP_EXCEEDED: (
        "本站今天的补贴服务时长已达上限，请明天再确认付款。",
        "This station's subsidised service for today has reached its cap; confirm the "
        "payment tomorrow."),
    ErrorCode.CATEGORY_UNKNOWN: ("没有这个服务类别。", "No such service category."),
    ErrorCode.ITEM_UNKNOWN: ("请选择服务项目。", "Choose a service item."),
    ErrorCode.NOT_ELIGIBLE: (
        "按本节点规则，该成员不符合条件（如年龄）。",
        "By this node's rules the member is not eligible (age, for instance)."),
    ErrorCode.AGE_UNKNOWN: (
        "需要该成员的出生年份才能判断。", "The member's year of birth is needed for this rule."),
    ErrorCode.RECIPIENT_NOT_ALLOWED: (
        "按本节点规则，不能转给该成员（需登记为亲属）。",
        "By this node's rules hours cannot go to that member (register them as kin)."),
    ErrorCode.CREDIT_CLASS_NOT_ALLOWED: (
        "本节点不发放这类时间。", "This node does not issue that kind of hours."),
    ErrorCode.OVERLOADED: ("系统繁忙，请稍后再试。", "The node is busy; try again shortly."),
    ErrorCode.NOT_MIGRATED: ("节点正在维护。", "The node is under maintenance."),
    ErrorCode.INTERNAL_ERROR: (
        "系统出错，已记录在节点日志中。", "Something went wrong; it is in the node's log."),
}

CATALOGUE: dict[str, dict[str, str]] = {
    lang: {
        **{key: texts[i] for key, texts in PRIVACY.items()},  # i18n_privacy.py
        **{f"error.{code}": texts[i] for code, texts in PRIVACY_ERRORS.items()},
        **{key: texts[i] for key, texts in (_BASE | PEOPLE | MEMBER_EDITS | CERTIFICATES
                                                 | SLIPS | STAFF | IMPORTS | PROBLEMS
                                                 | RECORDS).items()},
        **{f"error.{code}": texts[i]
           for code, texts in (_ERRORS | PEOPLE_ERRORS | MORE_ERRORS
                               | MEMBER_EDITS_ERRORS | SLIPS_ERRORS
                               | STAFF_ERRORS).items()},
    }
    for i, lang in enumerate(LANGUAGES)
}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def translate(lang: str, key: str, **values: Any) -> str:
    """The message in `lang`; an unknown key is a bug and raises KeyError."""
    text = CATALOGUE[lang][key]
    return text.format(**values) if values else text


def error_message(lang: str, code: str) -> str:
    key = f"error.{code}"
    if key in CATALOGUE[lang]:
        return CATALOGUE[lang][key]
    return translate(lang, "error.other", code=code)


def hours_text(lang: str, minutes: int) -> str:
    """Minutes as hours and minutes a person reads at a glance: "2 小时 30 分", "-45 min"."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        text = translate(lang, "amount.hm", hours=hours, minutes=rest)
    elif hours:
        text = translate(lang, "amount.h", hours=hours)
    else:
        text = translate(lang, "amount.m", minutes=rest)
    return sign + text
