"""RFM scoring: a fixed order set against segments computed by hand, and the edge cases."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.rfm.model import DAY, SEGMENT_NAMES, Order, segment
from bot.rfm.orders import OrderStore, parse_order

NOW = 1_800_000_000
WINDOW = 90


def order(order_id: str, customer: str, yuan: int, days_ago: float) -> Order:
    return Order(order_id, customer, yuan * 100, int(NOW - days_ago * DAY))


# One customer per cell. R is days since the last order (any age), F and M count only orders
# within the last 90 days; the old orders below must not count.
#
#   customer  last order  orders in window (yuan)           F  M     outside the window
#   wmA        1 d        1 d, 10 d, 20 d, 30 d: 250 each   4  1000  200 d: 5000
#   wmB       60 d        60 d, 70 d, 80 d: 300 each        3   900
#   wmC        2 d        2 d: 1200                         1  1200
#   wmD       70 d        70 d: 800                         1   800  100 d: 3000
#   wmE        3 d        3 d, 10 d, 20 d, 30 d, 40 d: 20   5   100
#   wmF       50 d        50 d, 60 d, 85 d: 50 each         3   150
#   wmG        4 d        4 d: 50                           1    50
#   wmH      120 d        none                              0     0  120 d, 150 d: 999 each
#
# By hand: R sum 1+60+2+70+3+50+4+120 = 310, average 38.75 days → recent: A C E G.
#          F sum 4+3+1+1+5+3+1+0 = 18, average 2.25 → high: A B E F.
#          M sum 1000+900+1200+800+100+150+50+0 = 4200, average 525 yuan → high: A B C D.
ORDERS = [
    order("a1", "wmA", 250, 1),
    order("a2", "wmA", 250, 10),
    order("a3", "wmA", 250, 20),
    order("a4", "wmA", 250, 30),
    order("a-old", "wmA", 5000, 200),
    order("b1", "wmB", 300, 60),
    order("b2", "wmB", 300, 70),
    order("b3", "wmB", 300, 80),
    order("c1", "wmC", 1200, 2),
    order("d1", "wmD", 800, 70),
    order("d-old", "wmD", 3000, 100),
    *(order(f"e{i}", "wmE", 20, days) for i, days in enumerate((3, 10, 20, 30, 40))),
    order("f1", "wmF", 50, 50),
    order("f2", "wmF", 50, 60),
    order("f3", "wmF", 50, 85),
    order("g1", "wmG", 50, 4),
    order("h1", "wmH", 999, 120),
    order("h2", "wmH", 999, 150),
]
EXPECTED = {
    "wmA": "头部活跃",  # R recent, F high, M high
    "wmB": "头部预警",  # R old,    F high, M high
    "wmC": "腰部成长",  # R recent, F low,  M high
    "wmD": "腰部流失",  # R old,    F low,  M high
    "wmE": "腰部活跃",  # R recent, F high, M low
    "wmF": "腰部预警",  # R old,    F high, M low
    "wmG": "成长初期",  # R recent, F low,  M low
    "wmH": "尾部流失",  # R old,    F low,  M low
}


def test_a_fixed_order_set_gives_the_hand_computed_segments() -> None:
    result = segment(ORDERS, NOW, WINDOW)
    assert {c: s.segment for c, s in result.scores.items()} == EXPECTED
    assert result.averages.r_days == 38.75
    assert result.averages.f == 2.25
    assert result.averages.m_cents == 525_00
    assert result.counts() == dict.fromkeys(SEGMENT_NAMES, 1)
    a, h = result.scores["wmA"], result.scores["wmH"]
    assert (a.r_days, a.f, a.m_cents, a.last_paid_at) == (1.0, 4, 1000_00, NOW - DAY)
    # every order outside the window: F and M are zero, R still counts the last one
    assert (h.r_days, h.f, h.m_cents) == (120.0, 0, 0)


def test_a_tie_with_the_average_counts_as_high_and_recent() -> None:
    orders = [
        order("x", "wmLow", 100, 10),
        order("y1", "wmMid", 100, 20),
        order("y2", "wmMid", 100, 25),
        *(order(f"z{i}", "wmTop", 100, 30) for i in range(3)),
    ]
    # R 10, 20, 30 → average 20; F 1, 2, 3 → 2; M 100, 200, 300 → 200: wmMid ties all three
    result = segment(orders, NOW, WINDOW)
    assert {c: s.segment for c, s in result.scores.items()} == {
        "wmLow": "成长初期",
        "wmMid": "头部活跃",
        "wmTop": "头部预警",
    }
    # everyone alike: all tie, all at the top
    alike = segment([order(c, c, 10, 5) for c in ("wm1", "wm2", "wm3")], NOW, WINDOW)
    assert {s.segment for s in alike.scores.values()} == {"头部活跃"}


def test_ties_are_exact_where_floating_point_averages_are_not() -> None:
    # 0.1, 0.2 and 0.3 yuan: as floats in yuan the sum is 0.6000000000000001 and 0.2 would fall
    # just below the average; amounts are whole cents, so 20 × 3 = 60 is the tie it should be
    orders = [
        Order("p1", "wm1", 10, NOW - DAY),
        Order("p2", "wm2", 20, NOW - DAY),
        Order("p3", "wm3", 30, NOW - DAY),
    ]
    assert segment(orders, NOW, WINDOW).scores["wm2"].segment == "头部活跃"


def test_window_boundary_future_orders_and_an_empty_population() -> None:
    orders = [
        Order("edge", "wmEdge", 100, NOW - WINDOW * DAY),  # exactly 90 days: still inside
        Order("past", "wmEdge", 100, NOW - WINDOW * DAY - 1),  # one second more: outside
        Order("ahead", "wmAhead", 100, NOW + 3600),  # a clock running ahead: bought now
    ]
    scores = segment(orders, NOW, WINDOW).scores
    assert (scores["wmEdge"].f, scores["wmEdge"].m_cents) == (1, 100)
    assert (scores["wmAhead"].r_seconds, scores["wmAhead"].f) == (0, 1)
    empty = segment([], NOW, WINDOW)
    assert empty.scores == {}
    assert empty.counts() == dict.fromkeys(SEGMENT_NAMES, 0)


async def test_a_refund_removes_its_order_from_the_scores(redis: Redis, key_prefix: str) -> None:
    store = OrderStore(redis, RedisKeys("wwcorp", key_prefix))
    rows = [parse_order(_row(o), NOW) for o in ORDERS]
    big = {"order_id": "g-big", "external_userid": "wmG", "amount": "5000", "paid_at": NOW - DAY}
    await store.apply([*rows, parse_order(big, NOW)])
    # with 5,000 more wmG would be a big spender (M 5050 above the new average of 1150)
    assert segment(await store.all(), NOW, WINDOW).scores["wmG"].segment == "腰部成长"
    refund = parse_order({"order_id": "g-big", "refunded": True}, NOW)
    assert (await store.apply([refund])).removed == 1
    result = segment(await store.all(), NOW, WINDOW)
    assert {c: s.segment for c, s in result.scores.items()} == EXPECTED


def _row(o: Order) -> dict[str, object]:
    return {
        "order_id": o.order_id,
        "external_userid": o.customer,
        "amount": o.amount_cents / 100,
        "paid_at": o.paid_at,
    }
