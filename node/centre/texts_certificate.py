"""The personal centre's words for the volunteer's certificate page (pages_certificate.py) and
his honour level on /me/volunteer. Merged into node/centre/i18n.py's catalogue; Chinese first."""

from __future__ import annotations

CERTIFICATE: dict[str, tuple[str, str]] = {
    "home.certificate": ("我的志愿服务证明", "My volunteer certificate"),
    "cert.title": ("志愿服务记录证明", "Volunteer-service certificate"),
    "cert.intro": (
        "证明上写着您已完成的服务时长、次数、星级和资质，由本节点签名，别的城市也能核验。",
        "The certificate lists the service you have done, your honour level and "
        "qualifications, signed by this node; other cities can check it."),
    "cert.for": ("为 {name} 开具", "Issued for {name}"),
    "cert.request": ("开具我的证明", "Issue my certificate"),
    "cert.once": ("证明只显示这一次，请现在打印或保存证明文件。",
                  "The certificate is shown this once: print it or save the file now."),
    "cert.name": ("姓名", "Name"),
    "cert.member": ("会员号", "Member"),
    "cert.node": ("开具单位", "Issued by"),
    "cert.total": ("服务时长", "Service time"),
    "cert.visits": ("服务次数", "Visits"),
    "cert.visits_n": ("{visits} 次", "{visits}"),
    "cert.honour": ("星级", "Honour level"),
    "cert.level": ("{name}（{stars} 星）", "{name} ({stars} stars)"),
    "cert.qualifications": ("培训与资质", "Training and qualifications"),
    "cert.until": ("{start} 至 {end}", "{start} to {end}"),
    "cert.no_end": ("{start} 起", "from {start}"),
    "cert.rating": ("{visits} 次评价，平均 {average} 分", "{visits} ratings, {average} of 5"),
    "cert.evaluations": ("服务评价", "Ratings"),
    "cert.issued": ("开具时间：{when}", "Issued: {when}"),
    "cert.scan": ("扫码核对证明", "Scan to check the certificate"),
    "cert.print": ("用浏览器的“打印”打印本页。", "Use the browser's Print to print this page."),
    "cert.download": ("保存证明文件", "Save the certificate file"),
    "vol.honour": ("我的星级", "My honour level"),
    "vol.honour_level": ("{name}（{stars} 星）", "{name} ({stars} stars)"),
    "vol.honour_below": ("还未达到一星", "Not yet one star"),
    "vol.honour_next": ("服务满 {hours} 小时可达 {stars} 星。",
                        "{stars} stars at {hours} hours of service."),
}
