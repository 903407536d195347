"""RFM segments: each customer's recency, frequency and monetary value against the average.

The population is every customer with at least one stored order. For each of them, at `now`:

- R, recency: days since their latest order, however old (a last order a year ago is exactly
  what makes a customer 流失, so it is not cut off by the window);
- F, frequency: how many of their orders were paid within the last `window_days` days (an order
  exactly `window_days` days old still counts);
- M, monetary value: the sum of those same orders' amounts, in cents.

Each of R, F and M is compared with its average over the population: F and M are high at or
above their average, R is recent at or below its average. A tie counts as high (recent), so a
population where everyone is alike is all 头部活跃 rather than all 尾部流失. The comparisons are
exact — R in whole seconds and M in cents, each value times the population size against the
sum — so a tie is a tie and never a rounding accident. The three splits give eight cells:

| R recent | F high | M high | segment  | what it means                                        |
|----------|--------|--------|----------|------------------------------------------------------|
| yes      | yes    | yes    | 头部活跃 | the best: recent, frequent, big spenders — keep them |
| no       | yes    | yes    | 头部预警 | were the best, gone quiet — reach out first          |
| yes      | no     | yes    | 腰部成长 | spend a lot but seldom — raise the frequency         |
| no       | no     | yes    | 腰部流失 | spent a lot, seldom and not lately — win them back   |
| yes      | yes    | no     | 腰部活跃 | buy often but small — raise the basket               |
| no       | yes    | no     | 腰部预警 | frequent small buyers gone quiet — remind them       |
| yes      | no     | no     | 成长初期 | new or occasional, small — nurture                   |
| no       | no     | no     | 尾部流失 | small, seldom, long ago — low-cost reactivation      |

Everything here is pure: orders, a clock reading and a window in, scores out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DAY = 86_400

# (R recent, F high, M high) -> segment name; the order is the one reports list them in
SEGMENTS: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "头部活跃",
    (False, True, True): "头部预警",
    (True, False, True): "腰部成长",
    (False, False, True): "腰部流失",
    (True, True, False): "腰部活跃",
    (False, True, False): "腰部预警",
    (True, False, False): "成长初期",
    (False, False, False): "尾部流失",
}
SEGMENT_NAMES = tuple(SEGMENTS.values())


@dataclass(frozen=True, slots=True)
class Order:
    """One paid order: whose, how much (cents) and when (Unix seconds)."""

    order_id: str
    customer: str
    amount_cents: int
    paid_at: int


@dataclass(frozen=True, slots=True)
class Score:
    """One customer's R (in seconds), F, M and the segment they fall in."""

    customer: str
    r_seconds: int
    f: int
    m_cents: int
    last_paid_at: int
    segment: str

    @property
    def r_days(self) -> float:
        return self.r_seconds / DAY


@dataclass(frozen=True, slots=True)
class Averages:
    """The population's averages the scores were split by."""

    r_days: float
    f: float
    m_cents: float


@dataclass(frozen=True, slots=True)
class Segmentation:
    """The scores of a whole population at one moment, by customer."""

    scores: dict[str, Score]
    averages: Averages
    now: int
    window_days: int

    def counts(self) -> dict[str, int]:
        """Customers per segment, every segment listed (zero included)."""
        counts = dict.fromkeys(SEGMENT_NAMES, 0)
        for score in self.scores.values():
            counts[score.segment] += 1
        return counts


def segment_name(recent: bool, frequent: bool, big: bool) -> str:
    return SEGMENTS[(recent, frequent, big)]


class Tally:
    """Counts orders as they stream past: per customer the last payment, and the orders
    and money inside the window (memory grows with customers, not orders)."""

    def __init__(self, now: float, window_days: int) -> None:
        self.at = int(now)
        self.window_days = window_days
        self._since = self.at - window_days * DAY
        self._last: dict[str, int] = {}
        self._count: dict[str, int] = {}
        self._money: dict[str, int] = {}

    def add(self, order: Order) -> None:
        customer = order.customer
        self._last[customer] = max(self._last.get(customer, order.paid_at), order.paid_at)
        self._count.setdefault(customer, 0)
        self._money.setdefault(customer, 0)
        if order.paid_at >= self._since:
            self._count[customer] += 1
            self._money[customer] += order.amount_cents

    def segmentation(self) -> Segmentation:
        """Score every customer counted and split them by the population's averages."""
        at, last, count, money = self.at, self._last, self._count, self._money
        if not last:
            return Segmentation({}, Averages(0.0, 0.0, 0.0), at, self.window_days)
        # an order stamped a little ahead of our clock was bought now, not in the future
        recency = {customer: max(0, at - paid_at) for customer, paid_at in last.items()}
        n = len(last)
        sum_r, sum_f, sum_m = sum(recency.values()), sum(count.values()), sum(money.values())
        scores = {
            customer: Score(
                customer=customer,
                r_seconds=recency[customer],
                f=count[customer],
                m_cents=money[customer],
                last_paid_at=last[customer],
                segment=segment_name(
                    recency[customer] * n <= sum_r,
                    count[customer] * n >= sum_f,
                    money[customer] * n >= sum_m,
                ),
            )
            for customer in sorted(last)
        }
        averages = Averages(sum_r / n / DAY, sum_f / n, sum_m / n)
        return Segmentation(scores, averages, at, self.window_days)


def segment(orders: Iterable[Order], now: float, window_days: int) -> Segmentation:
    """Score every customer with an order and split them by the population's averages."""
    tally = Tally(now, window_days)
    for order in orders:
        tally.add(order)
    return tally.segmentation()
