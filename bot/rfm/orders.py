"""Orders for RFM: the one row format of CSV files and the ingest endpoint, and their store.

A row is `order_id`, `external_userid`, `amount` (yuan: `12.50`, at most two decimals) and
`paid_at` (see `bot.timestamps`: Unix seconds or milliseconds, or a date/time in corp time),
plus an optional `refunded` flag (true/1/是). Orders are kept by id, so sending an order again
replaces it (a corrected amount, a late payment time) rather than counting it twice. A refunded
row removes its order and needs nothing but the `order_id`; the id is not remembered, so an order
sent again after its refund is stored again.

Rows of one batch are applied in their order, so a batch may carry an order and then its refund.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.errors import UserError
from bot.keys import RedisKeys
from bot.rfm.model import Order
from bot.timestamps import TimeValueError, parse_time

MAX_AMOUNT_CENTS = 100_000_000_00  # one hundred million yuan: more in one order is a typo
WRITE_CHUNK = 1000  # commands per Redis round trip when a large file is applied

_ORDER_ID = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, as order systems' ids are
_USER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
# ASCII digits only ([0-9], never \d): int(), float() and Decimal() also take "1_000", "１２３",
# "1e9", "nan" and "+5", and Decimal("1e999999") * 100 overflows; at most 12 digits, 2 decimals
_AMOUNT = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,2}))?")
_NEGATIVE = re.compile(r"-[0-9.]+")
_TOO_PRECISE = re.compile(r"[0-9]+\.[0-9]{3,}")
_TOO_LONG = re.compile(r"[0-9]{13,}(?:\.[0-9]*)?")
AMOUNT_FORMAT = "amount 应为金额（单位元），如 12.50"
_YES = frozenset({"1", "true", "yes", "y", "是"})
_NO = frozenset({"", "0", "false", "no", "n", "否"})

log = logging.getLogger(__name__)


class OrderError(UserError, ValueError):
    """An order row (or a file of them) that can't be taken; the message (Chinese) says why."""


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One valid row: the order to store, or (`order` None) the refund of `order_id`."""

    order_id: str
    order: Order | None

    @property
    def refund(self) -> bool:
        return self.order is None


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying rows changed: orders new to the store, replaced and removed."""

    created: int = 0
    updated: int = 0
    removed: int = 0


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric order ids from JSON
    if not isinstance(value, str):
        raise OrderError(f"{name} 应为字符串")
    return value.strip()


def _refunded(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise OrderError("refunded 应为 true/false（或 1/0、是/否）")


def _amount_cents(value: Any) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise OrderError("缺少 amount（金额，单位元）")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise OrderError(AMOUNT_FORMAT)
    # str() of a JSON float is its shortest repr, so 19.99 stays 19.99 and not 19.989999…
    text = str(value).strip()
    found = _AMOUNT.fullmatch(text)
    if found is None:
        raise OrderError(_amount_problem(text))
    cents = int(found.group(1)) * 100 + int((found.group(2) or "").ljust(2, "0"))
    if cents > MAX_AMOUNT_CENTS:
        raise OrderError("amount 超过单笔上限（1 亿元）")
    return cents


def _amount_problem(text: str) -> str:
    """Why `text` is not an amount, in the words the sender needs to fix it."""
    if _NEGATIVE.fullmatch(text):
        return "amount 应为不小于 0 的金额；退款请用 refunded 列"
    if _TOO_PRECISE.fullmatch(text):
        return "amount 最多两位小数（到分）"
    if _TOO_LONG.fullmatch(text):
        return "amount 超过单笔上限（1 亿元）"
    shown = text[:20] + ("…" if len(text) > 20 else "")
    rule = "只用半角数字和小数点，不带正负号、千分位或科学计数法"
    return f"{AMOUNT_FORMAT}，{rule}（收到 {shown!r}）"


def parse_order(row: Any, now: float) -> OrderRow:
    """The order (or refund) one row describes; `OrderError` says what is wrong with it."""
    if not isinstance(row, dict):
        raise OrderError("每条订单应为 JSON 对象")
    order_id = _text(row, "order_id")
    if not order_id:
        raise OrderError("缺少 order_id")
    if not _ORDER_ID.fullmatch(order_id):
        raise OrderError("order_id 应为 1–128 个可见 ASCII 字符（不含空格）")
    if _refunded(row.get("refunded")):
        return OrderRow(order_id, None)
    customer = _text(row, "external_userid")
    if not customer:
        raise OrderError("缺少 external_userid")
    if not _USER.fullmatch(customer):
        raise OrderError("external_userid 格式无效")
    cents = _amount_cents(row.get("amount"))
    try:
        paid_at = parse_time(row.get("paid_at"), now, "paid_at")
    except TimeValueError as exc:
        raise OrderError(str(exc)) from None
    return OrderRow(order_id, Order(order_id, customer, cents, paid_at))


def _encode(order: Order) -> str:
    body = {
        "customer": order.customer,
        "amount_cents": order.amount_cents,
        "paid_at": order.paid_at,
    }
    return json.dumps(body, separators=(",", ":"))


class OrderStore:
    """Every order of the corp in one Redis hash, by order id."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def apply(self, rows: Sequence[OrderRow]) -> Applied:
        """Store the orders and remove the refunded ones, in the rows' order."""
        created = updated = removed = 0
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            async with self._redis.pipeline(transaction=True) as tx:
                for row in chunk:
                    if row.order is None:
                        tx.hdel(self._keys.orders, row.order_id)
                    else:
                        tx.hset(self._keys.orders, row.order_id, _encode(row.order))
                results = await tx.execute()
            for row, result in zip(chunk, results, strict=True):
                if row.refund:
                    removed += int(result)
                elif int(result):
                    created += 1
                else:
                    updated += 1
        return Applied(created, updated, removed)

    async def all(self) -> list[Order]:
        """Every stored order; an entry that isn't valid JSON is logged and left out."""
        # keyed by id: HSCAN may return a field twice while the hash is being resized
        orders: dict[str, Order] = {}
        async for order_id, raw in self._redis.hscan_iter(self._keys.orders, count=1000):
            try:
                data = json.loads(raw)
                orders[str(order_id)] = Order(
                    str(order_id),
                    str(data["customer"]),
                    int(data["amount_cents"]),
                    int(data["paid_at"]),
                )
            except (ValueError, KeyError, TypeError):
                log.warning("order %s is not a valid record; left out of RFM", order_id)
        return list(orders.values())

    async def count(self) -> int:
        return int(await self._redis.hlen(self._keys.orders))
