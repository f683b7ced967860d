"""The personal centre's words for the service standards and exchange-rate page (/me/rates),
Chinese first (see texts_frame.py for the rules of tone)."""

from __future__ import annotations

RATES: dict[str, tuple[str, str]] = {
    "rates.title": ("服务标准与兑换", "Service standards and exchange"),
    "rates.intro": ("这里写着在 {node}，服务记多少时间、时间能换什么，以及在别的城市怎么算。",
                    "What a service earns at {node}, what your hours can buy, and how they "
                    "count in other cities."),
    "rates.services": ("服务怎么记时间", "How services are counted"),
    "rates.time_weighted": ("按服务的实际时间记，每 {step}为一档。不同的服务乘以各自的权重：",
                            "Services count by the time they take, in steps of {step}, times "
                            "the weight of their kind:"),
    "rates.time_weighted_minutes": ("按服务的实际时间记，算到分钟。不同的服务乘以各自的权重：",
                                    "Services count by the minutes they take, times the "
                                    "weight of their kind:"),
    "rates.per_item": ("每项服务有固定的时间，不论做了多久：",
                       "Each service has a fixed price, however long it takes:"),
    "rates.weight": ("权重 {percent}%", "weight {percent}%"),
    "rates.hour_is": ("服务 1 小时，记 {amount}", "1 hour of service earns {amount}"),
    "rates.items": ("服务项目和价格", "Services and their prices"),
    "rates.goods": ("时间能换的物品", "Goods your hours can buy"),
    "rates.goods_none": ("本站不能用时间兑换物品。", "Hours cannot buy goods at this node."),
    "rates.goods_empty": ("本站现在没有可兑换的物品。", "No goods are on offer just now."),
    "rates.who_all": ("会员都可以兑换。", "Any member may redeem hours."),
    "rates.who_age": ("年满 {age} 岁的会员可以兑换。", "Members aged {age} or over may redeem."),
    "rates.who_hardship": ("经工作人员认定生活困难的，年满 {age} 岁就可以兑换。",
                           "Members the staff have found in hardship may redeem from {age}."),
    "rates.who_resident": ("需是本地居民。", "Only local residents may redeem."),
    "rates.units": ("在别的城市怎么算", "In other cities"),
    "rates.same_everywhere": ("一小时在哪里都是一小时（通存通兑）：时间送到别的城市，按标准分钟"
                              "记账，不增也不减。",
                              "An hour is an hour everywhere: hours sent to another city are "
                              "counted in standard minutes, nothing added or taken away."),
    "rates.no_money": ("时间不能换成钱。", "Hours can never be turned into money."),
    "rates.here_minutes": ("本站直接用小时和分钟记账。", "This node counts in hours and minutes."),
    "rates.here_unit": ("本站用“{unit}”记账：{units} {unit} = {amount}。",
                        "This node counts in {unit}: {units} {unit} = {amount}."),
    "rates.node_hour": ("在 {name}，1 小时 = {per_hour} {unit}",
                        "At {name}, 1 hour = {per_hour} {unit}"),
    "rates.node_ratio": ("在 {name}，{units} {unit} = {amount}",
                         "At {name}, {units} {unit} = {amount}"),
    "rates.node_minutes": ("在 {name}，直接用小时和分钟", "At {name}, hours and minutes"),
    "rates.this_node": ("（本站）", " (this node)"),
    "rates.no_directory": ("本站还没有收到联盟名录，暂时看不到别的城市。",
                           "This node holds no federation directory yet."),
    "home.rates": ("服务标准与兑换", "Service standards"),
}
