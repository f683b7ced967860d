"""Catalogue sentences for the error codes the console's own pages rarely meet: the ledger's
reversals, the federation, relocation and payment requests, goods and donations, reports and
the node's operation. With node/console/i18n.py's `_ERRORS` and i18n_people.py's
`PEOPLE_ERRORS` every ErrorCode reads as a sentence in both languages
(tests/node/console/test_i18n.py holds the catalogue to that)."""

from __future__ import annotations

from node.errors import ErrorCode

MORE_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.BODY_TIMEOUT: (
        "提交超时，请重试。", "What was sent did not arrive in time; try again."),
    ErrorCode.METHOD_NOT_ALLOWED: ("这里不能这样操作。", "This cannot be done here."),
    ErrorCode.DATABASE_UNAVAILABLE: (
        "系统数据库暂时无法连接，刚才的操作没有保存。请过几分钟再试。",
        "The node's database cannot be reached just now; nothing was saved. Try again in a "
        "few minutes."),
    ErrorCode.STORAGE_FULL: (
        "系统存储空间已满，刚才的操作没有保存。请联系本节点的管理员。",
        "The node's storage is full; nothing was saved. Please tell the node's operator."),
    ErrorCode.ENTRY_NOT_FOUND: ("没有这条记账记录。", "There is no such journal entry."),
    ErrorCode.CHECKPOINT_NOT_FOUND: ("没有这个账本检查点。", "There is no such checkpoint."),
    ErrorCode.LINK_NOT_FOUND: ("与该节点没有往来。", "There is no link with that node."),
    ErrorCode.ALREADY_REVERSED: ("这笔记录已经冲正过。", "This entry is reversed already."),
    ErrorCode.NOT_REVERSIBLE: ("这笔记录不能冲正。", "This entry cannot be reversed."),
    ErrorCode.AMOUNT_BELOW_UNIT: (
        "时长太少，换算后不足一个单位。", "The amount is too small to convert into whole units."),
    ErrorCode.DIRECTORY_REFUSED: ("联盟目录未被接受。", "The federation directory was refused."),
    ErrorCode.LINK_MAP_REFUSED: ("联盟连接图未被接受。", "The federation link map was refused."),
    ErrorCode.NO_LINK_MAP: (
        "本节点还没有联盟连接图，所有节点之间直接往来。",
        "This node holds no link map yet: every pair of active nodes trades directly."),
    ErrorCode.NO_ROUTE: (
        "到该节点没有可用的路线。", "There is no route to that node."),
    ErrorCode.ROUTE_NOT_SUPPORTED: (
        "通往该节点的路线经过的节点暂时不支持转接，时间没有转出。请稍后再试。",
        "A node on the route to that node does not take routed transfers yet; nothing was "
        "sent. Try again later."),
    ErrorCode.TRANSACTION_REFUSED: (
        "对方节点拒绝了这笔往来。", "The other node refused this transaction."),
    ErrorCode.RECONCILIATION_REFUSED: (
        "对账请求被拒绝。", "The reconciliation request was refused."),
    ErrorCode.DISCREPANCY_NOT_FOUND: ("没有这条对账差异。", "There is no such discrepancy."),
    ErrorCode.NO_SINGLE_CLASS: (
        "这些时间不属于同一类别，请分开转出。",
        "These hours are not all of one kind; send them in separate transfers."),
    ErrorCode.RELOCATION_NOT_FOUND: ("没有这个迁移申请。", "There is no such relocation."),
    ErrorCode.NEGATIVE_BALANCE: (
        "余额为负，不能迁往其他节点。", "A negative balance cannot move to another node."),
    ErrorCode.PAYMENT_REQUEST_NOT_FOUND: (
        "没有这个付款请求。", "There is no such payment request."),
    ErrorCode.PAYMENT_REQUEST_CLOSED: (
        "这个付款请求已经处理过。", "This payment request is answered already."),
    ErrorCode.PAYMENT_REQUEST_EXPIRED: (
        "这个付款请求已过期。", "This payment request has expired."),
    ErrorCode.POLICY_INVALID: ("本节点的规则文件有误。", "The node's policy file is not valid."),
    ErrorCode.POLICY_OUT_OF_BOUNDS: (
        "本节点的规则超出联盟允许的范围。",
        "The node's policy is outside the federation's bounds."),
    ErrorCode.POLICY_MONEY_CONVERSION: (
        "时间不能兑换成钱。", "Hours are never converted to money."),
    ErrorCode.POLICY_UNSUPPORTED: (
        "本节点的规则含有不支持的设置。", "The node's policy has a setting that is not supported."),
    ErrorCode.GOODS_NOT_ALLOWED: (
        "按本节点规则，不能兑换这件物品。", "By this node's rules these goods cannot be had."),
    ErrorCode.GOODS_UNKNOWN: ("没有这件物品。", "There are no such goods."),
    ErrorCode.REDEMPTION_NOT_FOUND: ("没有这笔兑换。", "There is no such redemption."),
    ErrorCode.DONATION_NOT_FOUND: ("没有这笔捐赠。", "There is no such donation."),
    ErrorCode.SPONSOR_NOT_FOUND: ("没有这个资助方。", "There is no such sponsor."),
    ErrorCode.SPONSOR_EXISTS: ("这个资助方编号已被使用。", "This sponsor id is taken."),
    ErrorCode.SYSTEM_ACCOUNT_TAKEN: (
        "有成员占用了系统账户的编号，请联系管理员。",
        "A member holds a system account's id; contact the operator."),
    ErrorCode.PEER_UNREACHABLE: (
        "暂时联系不上对方节点，系统会自动重试。",
        "The other node cannot be reached now; the node retries by itself."),
    ErrorCode.PEER_FAILED: (
        "对方节点的回复无法接受。", "The other node's answer was not accepted."),
    ErrorCode.EVIDENCE_INVALID: (
        "对方节点提供的证据无法核实。", "The other node's evidence does not verify."),
    ErrorCode.CUT_UNKNOWN: (
        "账本还没有记到这个位置。", "The ledger does not reach that point yet."),
    ErrorCode.REPORT_INVALID: ("报告未通过核验。", "The report does not verify."),
    ErrorCode.IMPORT_REFUSED: (
        "导入文件有错误的行，什么都没有导入。", "The import file has rows in error; nothing was "
        "imported."),
    ErrorCode.IMPORT_RECEIPT_INVALID: (
        "导入回执未通过核验。", "The import receipt does not verify."),
    ErrorCode.IMPORT_TOO_MANY_ROWS: (
        "导入文件的行数超过上限，没有导入任何内容。请拆分文件。",
        "The import file has more rows than allowed; nothing was imported. Split it."),
    ErrorCode.CERTIFICATE_NOT_FOUND: (
        "本节点没有开具过这份志愿服务记录证明。",
        "This node issued no such volunteer-service certificate."),
    ErrorCode.CERTIFICATE_INVALID: (
        "志愿服务记录证明未通过核验。", "The volunteer-service certificate does not verify."),
    ErrorCode.REPORT_NOT_COLLECTED: (
        "未能收集该节点的报告。", "The node's report could not be collected."),
    ErrorCode.CONFIG_INVALID: (
        "节点配置有误，请联系管理员。",
        "The node's configuration is not valid; contact the operator."),
    # visit codes (node/timebank/visit_codes.py)
    ErrorCode.VISIT_CODE_WRONG: (
        "上门码不对。请向老人或服务站要上门码再试。",
        "That is not the visit code. Ask the person served or the station for it and try again."),
    ErrorCode.VISIT_CODE_LOCKED: (
        "上门码输错次数太多，这次上门请由服务站工作人员签到。",
        "Too many wrong visit codes: station staff must check this visit in."),
    ErrorCode.VISIT_CODE_UNSET: (
        "老人还没有可用的上门码，请她本人、家属或服务站生成一个，或由工作人员签到。",
        "The person served has no visit code yet: she, her family or the station can make one, "
        "or staff check the visit in."),
    # the redeem_min_balance rule; deaths and the node's closure (node/timebank/deaths.py)
    ErrorCode.REDEEM_MIN_BALANCE_NOT_MET: (
        "首次兑换前，需先累计存入规定的服务时间。",
        "Before the first redemption a member must have banked the hours of service this "
        "programme requires."),
    ErrorCode.DEATH_RECORDED: (
        "这位成员的身故已登记过，内容不同。", "This member's death is recorded already, "
        "differently."),
    ErrorCode.DEATH_NOT_FOUND: (
        "没有这位成员的身故登记。", "No death is recorded for this member."),
    ErrorCode.HEIR_NOT_ALLOWED: (
        "继承人须是在本节点登记、且本节点规则允许继承的亲属。",
        "An heir must be a relative registered at this node whom the rules let inherit."),
    ErrorCode.CLOSURE_RECORDED: (
        "本节点的关闭决定已登记过，内容不同。",
        "The node's closure is decided already, differently."),
    # corrections of a paid visit and qualifications (node/timebank/corrections.py,
    # qualifications.py)
    ErrorCode.ADJUSTMENT_NOT_FOUND: ("没有这条更正记录。", "There is no such correction."),
    ErrorCode.ADJUSTMENT_ID_CONFLICT: (
        "这条更正已用同一编号登记过，内容不同。请刷新页面后再登记。",
        "This correction was recorded under the same number with other content. Reload the "
        "page and record it again."),
    ErrorCode.ADJUSTMENT_PENDING: (
        "这次服务已有一条更正在等待确认，请先确认它。",
        "A correction of this visit is waiting for confirmation; confirm it first."),
    ErrorCode.ADJUSTMENT_UNCOVERED: (
        "不能按服务单更正：志愿者账户里的服务时间不够退回，或这次付款受上限限制只部分记入，请由管理员处理。",
        "This visit cannot be corrected from a slip: the volunteer does not hold the earned "
        "time to give back, or its payment was cut by the caps; an admin handles it."),
    ErrorCode.ADJUSTMENT_WITHDRAWN: (
        "这条更正已被撤回，不能再确认。如服务单确有差错，请重新登记一条更正。",
        "This correction was withdrawn and cannot be confirmed. If the slip is wrong after "
        "all, record a new correction."),
    ErrorCode.ADJUSTMENT_POSTED: (
        "这条更正已确认生效，不能撤回。如有差错，请再登记一条更正。",
        "This correction is confirmed and posted; it cannot be withdrawn. Record another "
        "correction if it is wrong."),
    ErrorCode.QUALIFICATION_REQUIRED: (
        "这类服务需要志愿者持有当天有效的相关资质（如医疗护理证书），请先登记资质。",
        "This kind of service needs a qualification valid today (such as a health-care "
        "certificate); record the volunteer's qualification first."),
    ErrorCode.QUALIFICATION_ID_CONFLICT: (
        "这条资质已用同一编号登记过，内容不同。请刷新页面后再登记。",
        "This qualification was recorded under the same number with other content. Reload "
        "the page and record it again."),
}
