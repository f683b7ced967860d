"""The personal centre's words for hours exchanged for goods, hours given to the care pool and an
account moved to another city (pages_bank.py, pages_move.py), Chinese first (see texts_frame.py
for the rules of tone).

The `error.*` entries are the sentences for codes only these pages meet; texts_frame.ERRORS keeps
the shared ones (tests/node/centre/test_bank.py checks that the two never overlap).
"""

from __future__ import annotations

BANK: dict[str, tuple[str, str]] = {
    # home
    "home.goods": ("用时间换物品", "Exchange hours for goods"),
    "home.donate": ("捐赠时间", "Donate hours"),
    "home.move": ("把账户迁到别的城市", "Move my account to another city"),
    # goods
    "goods.title": ("用时间换物品", "Exchange hours for goods"),
    "goods.for": ("替 {name} 用时间换物品", "Exchange hours for goods for {name}"),
    "goods.available": ("现在有 {amount}。", "Available now: {amount}."),
    "goods.none": ("本站不能用时间兑换物品。", "Hours cannot buy goods at this node."),
    "goods.empty": ("本站现在没有可兑换的物品。", "No goods are on offer just now."),
    "goods.price": ("每份 {amount}", "{amount} each"),
    "goods.quantity": ("要几份（1 到 {max}）", "How many (1 to {max})"),
    "goods.submit": ("兑换 {name}", "Exchange for {name}"),
    "goods.cannot": ("现在还不能兑换：{why}", "You cannot exchange hours yet: {why}"),
    "redemption.title": ("兑换好了", "Exchanged"),
    "redemption.done": ("已兑换 {quantity} 份 {name}，用去 {amount}。",
                        "Exchanged for {quantity} × {name}, using {amount}."),
    "redemption.when": ("兑换的时间", "When"),
    "redemption.left": ("现在还有", "Hours left"),
    "redemption.collect": ("请带上会员卡，到服务站领取物品。",
                           "Please take your member card to your station to collect it."),
    "redemption.more": ("再换一样", "Exchange for something else"),
    # donation
    "donate.title": ("捐赠时间", "Donate hours"),
    "donate.for": ("替 {name} 捐赠时间", "Donate hours for {name}"),
    "donate.intro": ("捐出的时间进入本站的爱心池，由服务站分给生活困难的老人。捐出后不能退回。",
                     "Donated hours go to this node's care pool; the station gives them to "
                     "older people in hardship. A donation cannot be taken back."),
    "donate.amount": ("捐多少时间", "How much time"),
    "donate.submit": ("捐出", "Donate"),
    "donation.title": ("谢谢您的捐赠", "Thank you for your donation"),
    "donation.done": ("已捐出 {amount}，进入本站的爱心池。",
                      "{amount} given to this node's care pool."),
    "donation.done_remote": ("已捐出 {amount}，送往 {city} 的爱心池。",
                             "{amount} given to the care pool of {city}."),
    "donation.received_title": ("爱心池送来的时间", "Hours from the care pool"),
    "donation.received": ("从爱心池收到 {amount}。", "{amount} received from the care pool."),
    "donation.when": ("时间", "When"),
    # moving the account
    "move.title": ("把账户迁到别的城市", "Move my account to another city"),
    "move.for": ("替 {name} 迁账户", "Move the account of {name}"),
    "move.intro": ("搬家到别的城市时，可以把时间和记录一起迁过去。"
                   "先请新城市的服务站给您办一个会员号。",
                   "When you move to another city, your hours and your record can move with "
                   "you. First ask a station in the new city for a member number there."),
    "move.to": ("迁到哪个城市", "Which city"),
    "move.number": ("您在新城市的会员号", "Your member number in the new city"),
    "move.number_help": ("新城市的服务站给您的会员号，比如 wang.fang",
                         "The member number the new city's station gave you, for example "
                         "wang.fang"),
    "move.next": ("下一步", "Next"),
    "move.no_nodes": ("现在还没有可以迁去的城市。", "There is no city to move to yet."),
    "move.check_title": ("请确认", "Please confirm"),
    "move.what_moves": ("您的全部时间（{amount}）会转到 {city}，以后用会员号 {number} 在那里使用。",
                        "All your hours ({amount}) move to {city}. There you will use the "
                        "member number {number}."),
    "move.what_closes": ("确认以后，您在这里的账户就关闭了：不能再在这里登录、送时间或兑换物品。",
                         "Once you confirm, your account here closes: you can no longer sign "
                         "in, give hours or exchange them for goods here."),
    "move.settle_first": ("还在送往别的城市的时间、还没做完的服务，要先办完才能迁。",
                          "Hours still on their way to another city and visits not yet "
                          "finished must be settled before the move."),
    "move.confirm": ("确认迁到 {city}", "Yes, move to {city}"),
    "move.cancel": ("不迁了", "Do not move"),
    # her profile travelling with the move (standard §10.1, issue 14 item 2)
    "move.share_title": ("让新城市认识您", "Let the new city know you"),
    "move.share": ("我同意把我的姓名、出生年份和下面填的服务站告诉新城市的时间银行。",
                   "I agree that my name, my birth year and the station below are given to "
                   "the time bank of the new city."),
    "move.share_kin": ("我同意把我的姓名、出生年份、下面填的服务站和我登记的亲属告诉新城市的"
                       "时间银行。",
                       "I agree that my name, my birth year, the station below and the "
                       "relatives I registered are given to the time bank of the new city."),
    "move.share_help": ("只告诉您要迁去的那个城市的时间银行，不给别人。那里的服务站用这些为您安排"
                        "服务、核对年龄，您到了第一天就能办事。不同意也能迁，到了以后再去服务站"
                        "登记。",
                        "Only the time bank of the city you move to gets them, nobody else. Its "
                        "stations use them to arrange your services and check your age, so you "
                        "are served from your first day. You can move without agreeing and give "
                        "your details at a station there."),
    "move.share_help_kin": ("只告诉您要迁去的那个城市的时间银行，不给别人。那里的服务站用这些为您"
                            "安排服务、核对年龄，亲属名单让您还能把时间送给家人；您到了第一天就"
                            "能办事。不同意也能迁，到了以后再去服务站登记。",
                            "Only the time bank of the city you move to gets them, nobody else. "
                            "Its stations use them to arrange your services and check your age, "
                            "and the list of relatives lets you keep giving hours to family, so "
                            "you are served from your first day. You can move without agreeing "
                            "and give your details at a station there."),
    "move.station": ("新城市的服务站（可以不填）", "Station in the new city (optional)"),
    "move.station_help": ("新城市服务站的编号，比如 gulou-east。"
                          "只有同意上面这一项，才会告诉新城市。",
                          "The number of the station in the new city, for example gulou-east. "
                          "It is given only if you agree above."),
    "move.shared": ("{city} 的时间银行会收到您的姓名、出生年份和您选的服务站，"
                    "您到了第一天就能办事。",
                    "The time bank of {city} receives your name, your birth year and the "
                    "station you chose, so you are served from your first day."),
    "move.shared_kin": ("{city} 的时间银行会收到您的姓名、出生年份、您选的服务站和您登记的亲属，"
                        "您到了第一天就能办事。",
                        "The time bank of {city} receives your name, your birth year, the "
                        "station you chose and the relatives you registered, so you are served "
                        "from your first day."),
    "move.shared_station": ("您选的服务站：{station}", "The station you chose: {station}"),
    "move.not_shared": ("您没有同意把资料告诉新城市。到了以后，请带上身份证到 {city} 的服务站"
                        "登记姓名和出生年份，登记以前有些服务办不了。",
                        "You did not agree to give your details to the new city. Once there, "
                        "take your ID card to a station in {city} to give your name and birth "
                        "year; until then some services are not available."),
    "moves.title": ("账户迁移", "Moving the account"),
    "moves.state.pending": ("正在迁往 {city}…", "Moving to {city}…"),
    "moves.state.committed": ("已经迁到 {city}。", "Moved to {city}."),
    "moves.state.rejected": ("没有迁成，时间还在这里。", "The move did not happen; the hours "
                             "are still here."),
    "moves.to": ("迁到", "To"),
    "moves.number": ("新的会员号", "New member number"),
    "moves.amount": ("迁走的时间", "Hours moving"),
    "moves.asked_at": ("申请的时间", "Asked at"),
    "moves.reason": ("对方城市的答复：{code}", "The other city answered: {code}"),
    "moves.reload": ("再看一次", "Look again"),
    "moves.why.member_exists": ("新城市已经有人用这个会员号了。请和新城市的服务站核对会员号，"
                                "再申请一次。",
                                "Someone in the new city has this member number already. "
                                "Check the number with the new city's station and ask again."),
    "moves.closed": ("您在这里的账户已经关闭，这台手机或电脑也已经退出。迁好以后，请到 {city} "
                     "的服务站，用会员号 {number} 办理。",
                     "Your account here is closed and this phone or computer is signed out. "
                     "Once the move is done, go to a station in {city} with the member number "
                     "{number}."),
    # fields and errors these pages meet
    "field.quantity": ("要几份", "how many"),
    "field.goods": ("物品", "the goods"),
    "field.to_node": ("迁到哪个城市", "which city"),
    "field.new_local_id": ("新城市的会员号", "the member number in the new city"),
    "field.station": ("新城市的服务站（要先同意告诉新城市，编号比如 gulou-east）",
                      "the station in the new city (only if you agree to give it; a number "
                      "such as gulou-east)"),
    "error.quantity": ("请填写要几份：1 到 100 之间的整数。",
                       "Give how many as a whole number from 1 to 100."),
    "error.goods_not_allowed": ("本站不能用时间兑换物品。", "Hours cannot buy goods at this node."),
    "error.goods_unknown": ("没有这样物品，请回去刷新页面再选。",
                            "There are no such goods. Go back, reload the page and choose again."),
    "error.redemption_id_conflict": ("这张表已经送出过了。请回去刷新页面再填。",
                                     "This form was sent already. Go back, reload and fill it "
                                     "in again."),
    "error.redemption_not_found": ("没有找到这条记录。", "This record was not found."),
    "error.donation_id_conflict": ("这张表已经送出过了。请回去刷新页面再填。",
                                   "This form was sent already. Go back, reload and fill it "
                                   "in again."),
    "error.donation_not_found": ("没有找到这条记录。", "This record was not found."),
    "error.relocation_id_conflict": ("这张表已经送出过了。请回去刷新页面再填。",
                                     "This form was sent already. Go back, reload and fill it "
                                     "in again."),
    "error.relocation_not_found": ("没有找到这条记录。", "This record was not found."),
    "error.open_transfers": ("还有时间正在送往别的城市，等送到了再迁。",
                             "Some hours are still on their way to another city. Move once "
                             "they have arrived."),
    "error.open_service_requests": ("还有没做完或没确认的服务，办完了再迁。",
                                    "Some visits are not finished or not confirmed yet. Move "
                                    "once they are settled."),
    "error.negative_balance": ("账户里还欠着时间，先还上再迁。",
                               "The account owes hours. Settle them before moving."),
}
