"""A node's operating rules as data: one TOML (or JSON) file, a pydantic model, the federation's
bounds (node/timebank/bounds.py) and the node's built-in default.

Load with `load_policy(path)`; every refusal is a ConfigError with a stable code
(`policy_invalid`, `policy_out_of_bounds`, `policy_money_conversion`, `policy_unsupported`)
and a message naming the field. What each field means: docs/timebank.md.
"""

from __future__ import annotations

import json
import tomllib
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from node.errors import ConfigError, ErrorCode
from node.services.units import NodeUnit
from node.timebank.bounds import (
    MONEY_WORDS,
    STANDARD_CATEGORIES,
    STEP_MINUTES_ALLOWED,
    Breach,
    money_keys,
    numeric,
)
from protocol.credit import CreditClass
from protocol.errors import UnitError
from protocol.units import RATIO_TERM_MAX, UnitRatio

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
TEXT = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[str, Field(pattern=CODE_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT)]
Age = Annotated[StrictInt, Field(ge=0, le=130)]
ITEMS_MAX = 200
POLICY_BYTES_MAX = 256 * 1024


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pricing(StrEnum):
    TIME_WEIGHTED = "time_weighted"  # rounded duration × the category's weight
    PER_ITEM = "per_item"  # the item's fixed price, whatever the duration


class Rounding(StrEnum):
    NEAREST = "nearest"  # halves up
    DOWN = "down"
    UP = "up"


class Overflow(StrEnum):
    DONATION_POOL = "donation_pool"  # the excess is issued to the node's donation pool
    NOT_CREDITED = "not_credited"  # the excess is recorded on the request, not issued


class Recipients(StrEnum):
    DIRECT_RELATIVES = "direct_relatives"
    RELATIVES_AND_FRIENDS = "relatives_and_friends"
    ANYONE = "anyone"


class OnDeath(StrEnum):
    INHERIT_BY_KIN = "inherit_by_kin"
    DONATE_TO_POOL = "donate_to_pool"


class OnClosure(StrEnum):
    RELOCATE_TO_SUCCESSOR = "relocate_to_successor"
    MEMBERS_CHOOSE_NODE = "members_choose_node"


class UnitSpec(Closed):
    name: Annotated[str, Field(min_length=1, max_length=40, pattern=TEXT)] = "minute"
    units: StrictInt = Field(default=1, ge=1, le=RATIO_TERM_MAX)
    minutes: StrictInt = Field(default=1, ge=1, le=RATIO_TERM_MAX)
    step_minutes: StrictInt = 1

    def node_unit(self) -> NodeUnit:
        return NodeUnit(self.name, UnitRatio(self.units, self.minutes))


class Category(Closed):
    code: Code
    name: Text
    weight_percent: StrictInt = 100


class Item(Closed):
    code: Code
    category: Code
    name: Text
    price_minutes: StrictInt | None = None


class Goods(Closed):
    code: Code
    name: Text
    price_minutes: StrictInt


class GoodsRules(Closed):
    allowed: StrictBool = False
    items: list[Goods] = Field(default_factory=list, max_length=ITEMS_MAX)


# Minutes of subsidised service a station may release per local day unless its policy says
# otherwise: 40 hours, some forty one-hour visits. A station's staff can serve subsidised
# elders with no hours of theirs at stake, so the node's issuance through them is bounded.
STATION_SUBSIDISED_DAILY_MINUTES = 2_400


class Caps(Closed):
    daily_minutes: StrictInt | None = None
    balance_minutes: StrictInt | None = None
    overflow: Overflow = Overflow.DONATION_POOL
    # Never unset: there is always a cap on what one station pays from issuance in a day.
    station_subsidised_daily_minutes: StrictInt = STATION_SUBSIDISED_DAILY_MINUTES


QUALIFICATION_RULES_MAX = 40
HONOUR_LEVELS_MAX = 10
HONOUR_HOURS_MAX = 100_000


class QualificationRule(Closed):
    """A service category only volunteers holding a valid qualification of one of `kinds` take
    (node/timebank/qualifications.py), valid on the day they take the request."""

    category: Code
    kinds: list[Code] = Field(min_length=1, max_length=10)


class HonourLevel(Closed):
    """An honour level reached at `hours` of service (node/timebank/honours.py)."""

    stars: Annotated[StrictInt, Field(ge=1, le=HONOUR_LEVELS_MAX)]
    name: Text
    hours: Annotated[StrictInt, Field(ge=1, le=HONOUR_HOURS_MAX)]


class Honours(Closed):
    levels: list[HonourLevel] = Field(default_factory=list, max_length=HONOUR_LEVELS_MAX)


class Provider(Closed):
    min_age: Age | None = None
    max_age: Age | None = None
    residence_required: StrictBool = False
    # Below min_age, from this age, a volunteer serves once a guardian (a parent or grandparent)
    # is in her kin registry (Beijing admits students under 18 led by their guardian).
    guardian_min_age: Age | None = None
    # Categories that need a valid qualification (issue 14, item 7): none unless listed.
    qualifications: list[QualificationRule] = Field(default_factory=list,
                                                    max_length=QUALIFICATION_RULES_MAX)


class Redeemer(Closed):
    min_age: Age | None = None
    hardship_min_age: Age | None = None
    residence_required: StrictBool = False
    # The redeem_min_balance rule: earned minutes a member must have banked before her first
    # redemption of services or goods (node/timebank/thresholds.py).
    min_balance_minutes: StrictInt | None = None


class Credit(Closed):
    classes: list[CreditClass] = Field(default_factory=lambda: list(CreditClass), min_length=1)
    granted_requires_vetting: StrictBool = False
    subsidised_services: StrictBool = True


class Transfers(Closed):
    recipients: Recipients = Recipients.ANYONE
    giver_min_age: Age | None = None


class Expiry(Closed):
    years: StrictInt | None = None


class Lifecycle(Closed):
    on_death: OnDeath = OnDeath.INHERIT_BY_KIN
    on_closure: OnClosure = OnClosure.MEMBERS_CHOOSE_NODE


class Service(Closed):
    duration_max_minutes: StrictInt = 480
    utc_offset_minutes: StrictInt = 480  # China Standard Time: days and ages are counted in it


def _standard_categories() -> list[Category]:
    names = {
        "daily_living": "Daily living 生活照料",
        "health": "Health 医疗保健",
        "home_safety": "Home safety 居家安全",
        "education_recreation": "Education and recreation 文体娱乐",
        "professional": "Professional 专业服务",
    }
    return [Category(code=code, name=names[code]) for code in STANDARD_CATEGORIES]


class NodePolicy(Closed):
    programme: Code = "default"
    name: Text = "HourBridge default policy"
    unit: UnitSpec = Field(default_factory=UnitSpec)
    pricing: Pricing = Pricing.TIME_WEIGHTED
    rounding: Rounding = Rounding.NEAREST
    categories: list[Category] = Field(default_factory=_standard_categories, max_length=40)
    items: list[Item] = Field(default_factory=list, max_length=ITEMS_MAX)
    caps: Caps = Field(default_factory=Caps)
    provider: Provider = Field(default_factory=Provider)
    redeemer: Redeemer = Field(default_factory=Redeemer)
    credit: Credit = Field(default_factory=Credit)
    transfers: Transfers = Field(default_factory=Transfers)
    goods: GoodsRules = Field(default_factory=GoodsRules)
    expiry: Expiry = Field(default_factory=Expiry)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    service: Service = Field(default_factory=Service)
    honours: Honours = Field(default_factory=Honours)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def goods_item(self, code: str) -> Goods | None:
        return next((g for g in self.goods.items if g.code == code), None)

    def allows(self, credit_class: CreditClass) -> bool:
        return credit_class in self.credit.classes


DEFAULT_POLICY = NodePolicy()


def bound_breaches(policy: NodePolicy) -> list[Breach]:
    """Every way the policy leaves the federation's bounds (empty: inside them)."""
    out: list[Breach] = []
    if policy.unit.step_minutes not in STEP_MINUTES_ALLOWED:
        out.append(Breach("unit.step_minutes", policy.unit.step_minutes,
                          f"one of {list(STEP_MINUTES_ALLOWED)}"))
    try:
        UnitRatio(policy.unit.units, policy.unit.minutes)
    except UnitError as exc:
        out.append(Breach("unit", f"{policy.unit.units}:{policy.unit.minutes}", exc.detail))
    codes = [c.code for c in policy.categories]
    for missing in (c for c in STANDARD_CATEGORIES if c not in codes):
        out.append(Breach("categories", missing, "must include the standard's five categories"))
    for i, category in enumerate(policy.categories):
        out += numeric("categories[].weight_percent", category.weight_percent,
                       shown=f"categories[{i}].weight_percent")
    for i, item in enumerate(policy.items):
        out += numeric("items[].price_minutes", item.price_minutes,
                       shown=f"items[{i}].price_minutes")
    for i, goods in enumerate(policy.goods.items):
        out += numeric("goods.items[].price_minutes", goods.price_minutes,
                       shown=f"goods.items[{i}].price_minutes")
    out += numeric("caps.daily_minutes", policy.caps.daily_minutes)
    out += numeric("caps.balance_minutes", policy.caps.balance_minutes)
    out += numeric("caps.station_subsidised_daily_minutes",
                   policy.caps.station_subsidised_daily_minutes)
    out += numeric("provider.min_age", policy.provider.min_age)
    out += numeric("provider.max_age", policy.provider.max_age)
    out += numeric("redeemer.min_age", policy.redeemer.min_age)
    out += numeric("redeemer.hardship_min_age", policy.redeemer.hardship_min_age)
    out += numeric("redeemer.min_balance_minutes", policy.redeemer.min_balance_minutes)
    out += numeric("provider.guardian_min_age", policy.provider.guardian_min_age)
    out += numeric("transfers.giver_min_age", policy.transfers.giver_min_age)
    out += numeric("service.duration_max_minutes", policy.service.duration_max_minutes)
    out += numeric("service.utc_offset_minutes", policy.service.utc_offset_minutes)
    if CreditClass.EARNED not in policy.credit.classes:
        out.append(Breach("credit.classes", [str(c) for c in policy.credit.classes],
                          "must include earned: service always banks earned hours"))
    return out


def consistency_errors(policy: NodePolicy) -> list[str]:
    """Rules inside one policy that contradict each other."""
    out: list[str] = []
    codes = [c.code for c in policy.categories]
    if len(set(codes)) != len(codes):
        out.append("categories: codes must be unique")
    if len({i.code for i in policy.items}) != len(policy.items):
        out.append("items: codes must be unique")
    if len({g.code for g in policy.goods.items}) != len(policy.goods.items):
        out.append("goods.items: codes must be unique")
    for i, item in enumerate(policy.items):
        if item.category not in codes:
            out.append(f"items[{i}].category = {item.category!r} names no category")
        if policy.pricing is Pricing.PER_ITEM and item.price_minutes is None:
            out.append(f"items[{i}].price_minutes is required when pricing = per_item")
    if policy.pricing is Pricing.PER_ITEM and not policy.items:
        out.append("pricing = per_item needs at least one item")
    if policy.goods.items and not policy.goods.allowed:
        out.append("goods.items is set but goods.allowed = false")
    hardship, normal = policy.redeemer.hardship_min_age, policy.redeemer.min_age
    if hardship is not None and (normal is None or hardship > normal):
        out.append("redeemer.hardship_min_age must be at most redeemer.min_age")
    low, high = policy.provider.min_age, policy.provider.max_age
    if low is not None and high is not None and high < low:
        out.append("provider.max_age must be at least provider.min_age")
    guarded = policy.provider.guardian_min_age
    if guarded is not None and (low is None or guarded >= low):
        out.append("provider.guardian_min_age must be below provider.min_age")
    threshold, cap = policy.redeemer.min_balance_minutes, policy.caps.balance_minutes
    if threshold is not None and cap is not None and threshold > cap:
        out.append(f"redeemer.min_balance_minutes = {threshold} is above caps.balance_minutes "
                   f"= {cap}: no member could ever redeem")
    if policy.credit.subsidised_services and CreditClass.GRANTED not in policy.credit.classes:
        out.append("credit.subsidised_services pays in granted hours: add granted to "
                   "credit.classes or set subsidised_services = false")
    largest = visit_price_max(policy)
    if policy.credit.subsidised_services and (
            policy.caps.station_subsidised_daily_minutes < largest):
        out.append(f"caps.station_subsidised_daily_minutes = "
                   f"{policy.caps.station_subsidised_daily_minutes} is below the {largest} "
                   "minutes one visit can cost: such a subsidised visit could never be paid")
    if policy.expiry.years is not None:
        out.append("expiry.years: this node version does not expire hours; leave it unset")
    return out + _records_errors(policy, codes)


def _records_errors(policy: NodePolicy, codes: list[str]) -> list[str]:
    """Qualification rules name categories once; honour levels climb in stars and hours."""
    out: list[str] = []
    named = [rule.category for rule in policy.provider.qualifications]
    out += [f"provider.qualifications: category {c!r} names no category"
            for c in named if c not in codes]
    if len(set(named)) != len(named):
        out.append("provider.qualifications: one rule per category")
    levels = policy.honours.levels
    if any(a.stars >= b.stars or a.hours >= b.hours for a, b in pairwise(levels)):
        out.append("honours.levels: list the levels with stars and hours both rising")
    return out


def visit_price_max(policy: NodePolicy) -> int:
    """The most one visit can cost: the dearest item, or the longest visit counted, rounded up
    to the step, at the heaviest weight."""
    if policy.pricing is Pricing.PER_ITEM:
        return max((i.price_minutes or 0 for i in policy.items), default=0)
    step = policy.unit.step_minutes
    longest = -(-policy.service.duration_max_minutes // step) * step
    return max((longest * c.weight_percent // 100 for c in policy.categories), default=0)


# Several problems in one policy are reported together under the code of the gravest.
GRAVEST_FIRST = (ErrorCode.POLICY_MONEY_CONVERSION, ErrorCode.POLICY_OUT_OF_BOUNDS,
                 ErrorCode.POLICY_UNSUPPORTED, ErrorCode.POLICY_INVALID)


def parse_policy(document: Any, *, source: str = "policy") -> NodePolicy:
    """A raw document (from TOML or JSON) as a checked policy, or one ConfigError listing
    every problem found: an operator fixes them in one pass, not one per start."""
    found: list[tuple[ErrorCode, str]] = []
    money = money_keys(document)
    if money:
        found.append((ErrorCode.POLICY_MONEY_CONVERSION, "hours are never convertible to "
                      "money; refused field(s): " + ", ".join(money)))
    try:
        policy: NodePolicy | None = NodePolicy.model_validate(document)
    except ValidationError as exc:
        policy = None
        found += [(ErrorCode.POLICY_INVALID,
                   f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}")
                  for err in exc.errors() if not _money_field(err["loc"])]
    if policy is not None:  # the rules below read a whole policy
        found += [(ErrorCode.POLICY_OUT_OF_BOUNDS, b.message()) for b in bound_breaches(policy)]
        found += [(ErrorCode.POLICY_UNSUPPORTED if e.startswith("expiry.")
                   else ErrorCode.POLICY_INVALID, e) for e in consistency_errors(policy)]
    if found or policy is None:
        code = min((code for code, _ in found), key=GRAVEST_FIRST.index,
                   default=ErrorCode.POLICY_INVALID)
        count = f" ({len(found)} problems)" if len(found) > 1 else ""
        raise ConfigError(f"{source}{count}: " + "; ".join(text for _, text in found), code)
    return policy


def _money_field(loc: tuple[int | str, ...]) -> bool:
    """A field money_keys already refused (pydantic also calls it unknown)."""
    return bool(loc) and any(word in str(loc[-1]).lower() for word in MONEY_WORDS)


def load_policy(path: Path) -> NodePolicy:
    """Read a `.toml` or `.json` policy file."""
    if not path.is_file():
        raise ConfigError(f"policy file {path} does not exist", ErrorCode.POLICY_INVALID)
    raw = path.read_bytes()
    if len(raw) > POLICY_BYTES_MAX:
        raise ConfigError(f"{path}: larger than {POLICY_BYTES_MAX} bytes",
                          ErrorCode.POLICY_INVALID)
    try:
        text = raw.decode("utf-8")
        document = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}",
                          ErrorCode.POLICY_INVALID) from exc
    return parse_policy(document, source=str(path))
