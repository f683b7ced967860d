"""The personal centre's words for checking in by scanning the elder's QR code, and the caption
under that code on her page, Chinese first (see texts_frame.py for the rules of tone)."""

from __future__ import annotations

SCAN: dict[str, tuple[str, str]] = {
    "scan.title": ("扫码签到", "Check in by scanning"),
    "scan.help": ("这是您接的、给这位老人的服务。人到了门口，再点“我到了，签到”。",
                  "These are the visits you took for her. Press \"I'm here, check in\" once "
                  "you are at her door."),
    "scan.go": ("我到了，签到", "I'm here, check in"),
    "scan.none": ("您没有接这位老人的服务，所以不能签到。请先在“我来当志愿者”里接下她的服务，"
                  "有问题请联系服务站。",
                  "You have not taken a visit for her, so there is nothing to check in. Take "
                  "her request under \"Volunteering\" first, or contact the service station."),
    "scan.arrived": ("您已经签到了。服务做完后，请在“我来当志愿者”里点“服务做完了”。",
                     "You are already checked in. When the visit is done, press \"The visit "
                     "is done\" under \"Volunteering\"."),
    "scan.taken_at": ("接单时间：{when}", "Taken: {when}"),
    "code.scan": ("志愿者到了门口，用手机相机扫这个码，就能签到。",
                  "At your door, the volunteer scans this code with his phone camera to "
                  "check in."),
    "field.elder": ("老人的会员号", "her member number"),
}
