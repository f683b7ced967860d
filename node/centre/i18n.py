"""The personal centre's message catalogue and the few formats a person reads: amounts as hours
and minutes ("12 小时 30 分"), dates in China time, errors by their stable code.

Chinese is the default; English is one click away (a cookie). A missing key is a bug and raises
KeyError, so tests/node/centre/ find it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from node.centre.texts_bank import BANK
from node.centre.texts_certificate import CERTIFICATE
from node.centre.texts_family import FAMILY
from node.centre.texts_frame import ERRORS, FRAME
from node.centre.texts_needs import NEEDS
from node.centre.texts_pages import PAGES
from node.centre.texts_privacy import PRIVACY, PRIVACY_ERRORS
from node.centre.texts_rates import RATES
from node.centre.texts_scan import SCAN
from node.centre.texts_volunteer import VOLUNTEER

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
# China has one time zone and no daylight saving: times are shown as China Standard Time.
CHINA_TIME = timezone(timedelta(hours=8))
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

CATALOGUE: dict[str, dict[str, str]] = {
    lang: {
        **{key: texts[i] for key, texts in (FRAME | PAGES | VOLUNTEER | NEEDS).items()},
        **{key: texts[i] for key, texts in RATES.items()},
        **{key: texts[i] for key, texts in PRIVACY.items()},  # texts_privacy.py
        **{f"error.{code}": texts[i] for code, texts in PRIVACY_ERRORS.items()},
        **{key: texts[i] for key, texts in BANK.items()},
        **{key: texts[i] for key, texts in SCAN.items()},
        **{key: texts[i] for key, texts in FAMILY.items()},
        **{key: texts[i] for key, texts in CERTIFICATE.items()},
        **{f"error.{code}": texts[i] for code, texts in ERRORS.items()},
    }
    for i, lang in enumerate(LANGUAGES)
}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def translate(lang: str, key: str, **values: Any) -> str:
    text = CATALOGUE[lang][key]
    return text.format(**values) if values else text


def has(lang: str, key: str) -> bool:
    return key in CATALOGUE[lang]


def error_message(lang: str, code: str) -> str:
    key = f"error.{code}"
    return CATALOGUE[lang][key] if key in CATALOGUE[lang] else translate(lang, "error.other")


def hours_text(lang: str, minutes: int) -> str:
    """Whole minutes as hours and minutes, without a sign: "1 小时 15 分", "45 min"."""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return translate(lang, "amount.hm", hours=hours, minutes=rest)
    if hours:
        return translate(lang, "amount.h", hours=hours)
    return translate(lang, "amount.m", minutes=rest)


def signed_hours(lang: str, minutes: int) -> str:
    """A statement line's change: "+1 小时", "−30 分" (a true minus sign, read aloud)."""
    return ("+" if minutes > 0 else "−" if minutes < 0 else "") + hours_text(lang, minutes)


def date_text(lang: str, ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(CHINA_TIME)
    return translate(lang, "date.full", year=moment.year, month=moment.month, day=moment.day,
                     month_name=MONTHS_EN[moment.month - 1], time=moment.strftime("%H:%M"))


def minutes_until(ms: int) -> int:
    """A wait in whole minutes, rounded up, at least one: "请 15 分钟后再试"."""
    return max(1, -(-ms // 60_000))
