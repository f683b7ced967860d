"""Catalogue entries of the volunteer-service certificate (pages_certificate.py). Merged into
node/console/i18n.py's CATALOGUE; the same rules hold (both languages, same placeholders)."""

from __future__ import annotations

CERTIFICATES: dict[str, tuple[str, str]] = {
    "certificate.title": ("志愿服务记录证明", "Volunteer-service certificate"),
    "certificate.intro": (
        "应志愿者本人要求开具：列出他已结算的服务时长和次数（按类别），由本节点签名，"
        "任何人都可以用联盟目录离线核验。本节点只保存证明编号、时段、合计和文件摘要，不保存证明本身。",
        "Issued when the volunteer asks: his settled service hours and visits by category, "
        "signed by this node, verifiable offline by anyone with the federation directory. The "
        "node keeps only the certificate id, period, totals and the file's hash, not the "
        "certificate itself."),
    "certificate.issue": ("开具并打印证明", "Issue and print the certificate"),
    "certificate.page_title": ("{name} 的志愿服务记录证明",
                               "Volunteer-service certificate of {name}"),
    "certificate.once": (
        "证明只显示这一次：请现在打印，并保存证明文件交给他。",
        "The certificate is shown this once: print it now, and save the certificate file for "
        "him."),
    "certificate.heading": ("志愿服务记录证明", "Volunteer-service certificate"),
    "certificate.member": ("成员地址", "Member address"),
    "certificate.node": ("开具节点", "Issued by node"),
    "certificate.period": ("时段", "Period"),
    "certificate.whole_record": ("全部服务记录，截至 {until}", "his whole record, up to {until}"),
    "certificate.total": ("服务时长", "Service time"),
    "certificate.hours": ("{hours} 小时 {minutes} 分", "{hours} h {minutes} min"),
    "certificate.visits": ("服务次数", "Visits"),
    "certificate.category": ("{visits} 次，{hours} 小时 {minutes} 分",
                             "{visits} visits, {hours} h {minutes} min"),
    "certificate.scan": ("扫码核对证明", "Scan to check the certificate"),
    "certificate.issued": ("开具时间：{when}", "Issued: {when}"),
    "certificate.verify": (
        "核验：hourbridge verify-certificate 证明文件 --directory 联盟目录",
        "To verify: hourbridge verify-certificate FILE --directory DIRECTORY"),
    "certificate.download": ("保存证明文件", "Save the certificate file"),
}
