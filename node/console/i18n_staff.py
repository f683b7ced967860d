"""Catalogue entries of the stations and staff-account pages and of signing in with a username
(pages_stations.py, pages_staff_login.py). Merged into node/console/i18n.py's CATALOGUE; the
same rules hold (both languages, same placeholders)."""

from __future__ import annotations

from node.errors import ErrorCode

STAFF: dict[str, tuple[str, str]] = {
    "nav.stations": ("服务站", "Stations"),
    "nav.staff": ("工作人员账号", "Staff accounts"),
    "stations.title": ("服务站登记", "Stations"),
    "stations.intro": (
        "登记本节点的服务站。登记第一个服务站之后，成员的服务站必须是已登记且启用的服务站。",
        "The stations of this node. Once one is registered, a member's station must be a "
        "registered, active one."),
    "stations.none": ("还没有登记服务站。", "No station is registered yet."),
    "stations.create": ("登记服务站", "Register a station"),
    "stations.edit": ("修改服务站", "Edit the station"),
    "stations.save": ("保存", "Save"),
    "stations.deactivate": ("停用", "Deactivate"),
    "stations.reactivate": ("重新启用", "Reactivate"),
    "stations.inactive": ("已停用", "inactive"),
    "stations.district": ("行政区划代码 {code}", "district {code}"),
    "stations.choices": ("可选服务站：", "Stations to choose from: "),
    "field.station_id": ("服务站编号（小写字母、数字）", "Station id (lowercase letters, digits)"),
    "field.name": ("名称", "Name"),
    "field.address": ("地址", "Address"),
    "field.district_code": ("行政区划代码（6 位数字）", "District code (6 digits)"),
    "staff.title": ("工作人员账号", "Staff accounts"),
    "staff.intro": (
        "为工作人员和管理员开设登录账号（用户名和密码）。停用后，该账号已登录的页面立即失效。",
        "Console logins (username and password) for staff and operators. Disabling one ends "
        "its open sessions at once."),
    "staff.none": ("还没有工作人员账号。", "No staff account yet."),
    "staff.create": ("开设账号", "Create an account"),
    "staff.role_staff": ("服务站工作人员", "Station staff"),
    "staff.role_admin": ("管理员", "Operator"),
    "staff.disabled": ("已停用", "disabled"),
    "staff.locked": ("密码错误次数过多，暂时锁定", "locked after wrong passwords"),
    "staff.last_sign_in": ("上次登录 {when}", "last signed in {when}"),
    "staff.never": ("从未登录", "never signed in"),
    "staff.disable": ("停用", "Disable"),
    "staff.enable": ("重新启用", "Re-enable"),
    "staff.password_rule": (
        "密码至少 10 位，至少 5 个不同字符，不能包含用户名，不能是连续或重复的字符。"
        "请当面告知本人，本页不会再次显示密码。",
        "At least 10 characters, 5 of them different, not containing the username, not a run "
        "or a repeated block. Tell the person directly; this page never shows it again."),
    "field.username": ("用户名", "Username"),
    "field.password": ("密码", "Password"),
    "field.role": ("角色", "Role"),
    "done.station_created": ("服务站已登记。", "The station is registered."),
    "done.station_saved": ("服务站已保存。", "The station is saved."),
    "done.station_deactivated": ("服务站已停用。", "The station is deactivated."),
    "done.station_reactivated": ("服务站已重新启用。", "The station is active again."),
    "done.account_created": ("账号已开设。", "The account is created."),
    "done.account_disabled": (
        "账号已停用，已登录的页面已失效。", "The account is disabled; its sessions have ended."),
    "done.account_enabled": ("账号已重新启用。", "The account is enabled again."),
    "login.password_title": ("用户名和密码登录", "Sign in with your username"),
    "login.password_submit": ("登录", "Sign in"),
    "login.token_title": ("使用 API 令牌登录（程序和运维人员）",
                          "Sign in with an API token (programs and operators)"),
    "login.wrong": ("用户名或密码不对。", "The username or the password is wrong."),
    "login.locked": (
        "密码输错次数太多，该账号已暂停登录 {minutes} 分钟。请稍后再试，或请管理员帮助。",
        "Too many wrong passwords: this account is paused for {minutes} minutes. Try later, "
        "or ask an operator."),
    "login.too_many": (
        "这里的登录尝试太多，请 {minutes} 分钟后再试。",
        "Too many tries from here; try again in {minutes} minutes."),
}

STAFF_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.STATION_UNKNOWN: (
        "没有这个服务站，或该服务站已停用。请从已登记的服务站中选择。",
        "There is no such station, or it is inactive. Choose a registered station."),
    ErrorCode.STATION_EXISTS: (
        "这个服务站编号已经登记过。", "This station id is registered already."),
    ErrorCode.STAFF_ACCOUNT_NOT_FOUND: (
        "没有这个工作人员账号。", "There is no such staff account."),
    ErrorCode.STAFF_ACCOUNT_EXISTS: ("这个用户名已被使用。", "This username is taken."),
    ErrorCode.PASSWORD_TOO_WEAK: (
        "这个密码太容易被猜到：至少 10 位、至少 5 个不同字符，"
        "不能包含用户名，不能是连续或重复的字符。",
        "This password is too easy to guess: at least 10 characters, 5 of them different, not "
        "containing the username, not a run or a repeated block."),
}
