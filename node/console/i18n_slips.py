"""Catalogue entries of the paper-slip form on a request's page (slips_form.py). Merged into
node/console/i18n.py's CATALOGUE; the same rules hold (both languages, same placeholders)."""

from __future__ import annotations

from node.errors import ErrorCode

SLIPS: dict[str, tuple[str, str]] = {
    "slip.title": ("按纸质服务单登记时长", "Record the time from the paper slip"),
    "slip.hint": (
        "填写服务单上的签到和签退时间，或只填时长。登记后须由老人本人或另一位工作人员确认，"
        "您本人不能确认。",
        "Give the slip's check-in and check-out times, or only its duration. Afterwards the "
        "elder or another staff member confirms it; you cannot."),
    "slip.submit": ("登记服务单", "Record the slip"),
    "field.slip_reference": ("服务单编号", "Slip number"),
    "field.slip_reason": ("登记原因", "Why it is recorded"),
    "field.slip_checked_in": ("签到时间", "Check-in time"),
    "field.slip_checked_out": ("签退时间", "Check-out time"),
    "done.step_slip": (
        "服务单已登记，新的费用已暂扣；请老人或另一位工作人员确认。",
        "The slip is recorded and the new price held; the elder or another staff member "
        "confirms it."),
    "done.step_confirm_zero": (
        "已确认。本次志愿者得到 0 分，没有收到时间。",
        "Confirmed. The volunteer received 0 minutes this time."),
}

SLIPS_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.SLIP_OUT_OF_BOUNDS: (
        "服务单上的时间不符合规定：签退须晚于签到，不能晚于现在，不能早于需求发布，"
        "时长不能超过规定的上限。",
        "The slip's times break the rules: check-out after check-in, not in the future, not "
        "before the request was posted, and no longer than the policy's longest visit."),
}
