"""Catalogue entries of the staff pages on members signing in, family access, kin and contacts
(pages_people.py, pages_family.py), and of the error codes of signing in. Merged into
node/console/i18n.py's CATALOGUE; the same rules hold (both languages, same placeholders)."""

from __future__ import annotations

from node.errors import ErrorCode

_CONFLICT = ("这张表单已提交过不同的内容，请刷新后重试。",
             "This form was already sent with other values; reload and try again.")

PEOPLE: dict[str, tuple[str, str]] = {
    "actor.member": ("成员 {id}", "member {id}"),
    "names.erased": ("已注销的成员", "a member whose data was erased"),  # actor_names.py
    "role.regulator": ("监管部门", "regulator"),
    # signing in, on the member page
    "signin.title": ("登录", "Signing in"),
    "signin.state_none": ("未邀请", "not invited"),
    "signin.state_invited": ("已邀请，尚未激活", "invited, not activated yet"),
    "signin.state_active": ("已开通", "active"),
    "signin.state_locked": ("已暂停登录", "locked"),
    "signin.until_invited": ("邀请有效期至 {when}", "the invitation expires {when}"),
    "signin.until_locked": ("暂停至 {when}", "until {when}"),
    "signin.open_invitation": (
        "另有一份未使用的邀请，有效期至 {when}。", "An unused invitation is open until {when}."),
    "signin.last": ("上次登录：{when}", "Last signed in: {when}"),
    "signin.failed": ("连续输错密码 {count} 次。", "{count} wrong PINs in a row."),
    "signin.invite_hint": (
        "生成一次性登录码和二维码，打印给成员。之前的邀请将作废。",
        "Makes a one-time code and QR code to print for the member. Any older invitation "
        "stops working."),
    "signin.invite": ("邀请登录", "Invite to sign in"),
    "signin.invite_again": ("重新生成邀请", "Make a new invitation"),
    "signin.reset_hint": (
        "忘记密码、被暂停或卡片遗失时使用：解除暂停，作废原密码，在所有设备上退出，并生成新的邀请卡。",
        "For a forgotten PIN, a lock or a lost card: unlocks, voids the PIN, signs the member "
        "out everywhere and makes a new invitation card."),
    "signin.reset": ("重置登录", "Reset sign-in"),
    # the invitation card: the page around it (staff) and the card itself (the elder)
    "card.page_title": ("登录邀请卡：{name}", "Invitation card: {name}"),
    "card.once": (
        "登录码只在此页显示这一次，请现在打印或抄写。离开或刷新此页后无法再次查看。",
        "The code is shown on this page this once: print or copy it now. It cannot be shown "
        "again once you leave or reload the page."),
    "card.print_hint": (
        "打印：按 Ctrl+P（Mac 上按 ⌘+P），纸张选 A6 或 A4，只会印出卡片。",
        "To print, press Ctrl+P (⌘+P on a Mac) and choose A6 or A4 paper: only the card is "
        "printed."),
    "card.back": ("返回成员页面", "Back to the member"),
    "card.gone": (
        "这张邀请卡的登录码已经显示过，不会再次显示（节点只保存它的摘要）。如果没有打印，请重新生成邀请，之前的将作废。",
        "This card's code was shown already and is not shown again (the node keeps only a "
        "hash of it). If it was not printed, make a new invitation: the old one stops "
        "working."),
    "card.heading": ("时间银行 登录邀请", "Time bank: your invitation to sign in"),
    "card.name": ("姓名", "Name"),
    "card.number": ("成员编号（登录用）", "Member number (to sign in)"),
    "card.code": ("一次性登录码", "One-time code"),
    "card.scan": ("用手机扫一扫", "Scan with your phone"),
    "card.expires": ("请在 {when} 前使用", "Use it before {when}"),
    "card.step_scan": (
        "用手机扫描二维码，或打开下面的网址，输入登录码。",
        "Scan the QR code with your phone, or open the address below and type the code."),
    "card.step_pin": (
        "自己设一个 6 位数字密码，不要用生日或 123456。以后用成员编号和这个密码登录。",
        "Choose a 6-digit PIN only you know (not a birthday, not 123456). Then sign in with "
        "your member number and that PIN."),
    "card.step_once": (
        "登录码只能用一次。卡片丢失或过期，请到服务站重新领取。",
        "The code works once. If the card is lost or expires, ask your station for a new one."),
    # family access and kin
    "family.title": ("家人代办", "Family access"),
    "family.intro": (
        "可以代该成员办事的家人：须是本节点成员并登记为亲属。每条记录都写明是谁办理的。",
        "Relatives who may act for this member: members of this node recorded as her kin. "
        "Every record names who acted."),
    "family.granted": ("{who} 于 {when} 授权", "given by {who} on {when}"),
    "family.revoked": ("{who} 于 {when} 取消", "ended by {who} on {when}"),
    "family.revoke": ("取消代办", "End access"),
    "family.none": ("目前没有家人代办。", "Nobody acts for this member."),
    "family.grant": ("授权代办", "Give access"),
    "family.no_kin": (
        "要授权家人代办，请先在“亲属登记”中登记这位家人（须有本节点的成员编号）。",
        "To give a relative access, first record them under Kin, with their member number at "
        "this node."),
    "field.delegate": ("家人（成员编号）", "Relative (member number)"),
    "kin.title": ("亲属登记", "Kin"),
    "kin.none": ("尚未登记亲属。", "No kin recorded."),
    "kin.relative_help": (
        "本节点的成员编号，或其他节点的地址（如 zhang.wei@sh-pudong）",
        "a member number here, or an address at another node (e.g. zhang.wei@sh-pudong)"),
    "kin.add": ("登记亲属", "Record"),
    "field.relative": ("亲属", "Relative"),
    "field.relation": ("是该成员的", "Who they are to the member"),
    "relation.spouse": ("配偶", "spouse"),
    "relation.parent": ("父母", "parent"),
    "relation.child": ("子女", "child"),
    "relation.grandparent": ("祖父母/外祖父母", "grandparent"),
    "relation.grandchild": ("孙子女/外孙子女", "grandchild"),
    "relation.sibling": ("兄弟姐妹", "sibling"),
    "relation.other_relative": ("其他亲属", "other relative"),
    "relation.friend": ("朋友", "friend"),
    # contacts
    "contacts.title": ("联系方式", "Contacts"),
    "contacts.intro": (
        "通知发往的电子邮箱和短信/微信网关编号。属于个人信息：查看和修改都会被记录。",
        "Where notifications go: e-mail and the SMS/WeChat gateway id. Personal data: every "
        "view and change is recorded."),
    "contacts.open": ("查看或修改联系方式", "View or change contacts"),
    "contacts.page_title": ("联系方式：{name}", "Contacts: {name}"),
    "contacts.recorded": ("这次查看已记入审计记录。", "This view is recorded in the audit trail."),
    "contacts.updated": ("上次修改：{when}", "Last changed: {when}"),
    "contacts.gateway_help": (
        "此人在城市短信或微信网关中的编号，如手机号 +8613912345678 或 openid。",
        "This person's id at the city's SMS or WeChat gateway, e.g. +8613912345678 or an "
        "openid."),
    "contacts.empty_help": (
        "留空表示不用这种方式通知；两项都留空则删除联系方式。",
        "Leave a field empty for no notices that way; both empty erases the contacts."),
    "contacts.save": ("保存", "Save"),
    "field.email": ("电子邮箱", "E-mail"),
    "field.gateway_recipient": ("短信/微信网关编号", "SMS/WeChat gateway id"),
    "done.kin_added": ("亲属已登记。", "The relative is recorded."),
    "done.delegate_granted": ("已授权家人代办。", "Access is given."),
    "done.delegate_in_force": ("这位家人已有代办权限。", "This relative has access already."),
    "done.delegate_revoked": ("已取消家人代办。", "Access is ended."),
    "done.contacts_saved": ("联系方式已保存。", "The contacts are saved."),
}

PEOPLE_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.LOGIN_REQUIRED: ("请先登录。", "Please log in first."),
    ErrorCode.CSRF_REFUSED: (
        "表单已过期，请刷新页面后重试。", "The form has expired. Reload the page and try again."),
    ErrorCode.SIGN_IN_FAILED: ("成员编号或密码不对。", "The member number or PIN is wrong."),
    ErrorCode.SIGN_IN_LOCKED: (
        "密码输错次数太多，登录已暂停。请稍后再试，或请服务站重置。",
        "Too many wrong PINs: signing in is paused. Try later, or ask the station to reset it."),
    ErrorCode.TOO_MANY_ATTEMPTS: (
        "尝试次数太多，请稍后再试。", "Too many tries from here; wait a while and try again."),
    ErrorCode.ACTIVATION_REFUSED: (
        "登录码无效：可能输错了、已用过、已被新的邀请取代或已过期。请向服务站重新领取。",
        "This code is not valid: it may be mistyped, used, replaced by a newer one or expired. "
        "Ask the station for a new one."),
    ErrorCode.PIN_TOO_WEAK: (
        "这个密码太容易被猜到，请换一个（不要用重复或连续的数字，也不要用成员编号）。",
        "This PIN is too easy to guess; choose another (no repeated or consecutive digits, not "
        "the member number)."),
    ErrorCode.DELEGATE_NOT_FOUND: (
        "这位家人目前没有代办权限。", "This relative does not have access now."),
    ErrorCode.DELEGATE_NOT_KIN: (
        "只能授权登记为亲属的本节点成员代办，请先登记亲属。",
        "Only a member of this node recorded as kin can be given access: record them as kin "
        "first."),
    ErrorCode.KIN_EXISTS: (
        "这位亲属已按另一种关系登记。", "This relative is recorded with another relation."),
    ErrorCode.NOTIFICATION_NOT_FOUND: ("没有这条通知。", "There is no such notification."),
    ErrorCode.DELIVERY_FAILED: (
        "通知未能送达，系统会自动重试。", "The notification was not delivered; it is retried."),
    ErrorCode.RELOCATION_ID_CONFLICT: _CONFLICT,
    ErrorCode.PAYMENT_REQUEST_ID_CONFLICT: _CONFLICT,
    ErrorCode.REDEMPTION_ID_CONFLICT: _CONFLICT,
    ErrorCode.DONATION_ID_CONFLICT: _CONFLICT,
}
