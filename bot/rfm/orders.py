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
from collections.abc import AsyncIterator, Sequence
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


# KEYS[1] orders, KEYS[2..] customers' order-id sets: per customer, its orders as
# [id, record, id, record, …] (ids whose record is gone are left out). One round trip a batch.
_READ_BATCH = """
local out = {}
for i = 2, #KEYS do
  local ids = redis.call('SMEMBERS', KEYS[i])
  local flat = {}
  if #ids > 0 then
    local records = redis.call('HMGET', KEYS[1], unpack(ids))
    for j = 1, #ids do
      if records[j] then flat[#flat + 1] = ids[j]; flat[#flat + 1] = records[j] end
    end
  end
  out[#out + 1] = flat
end
return out
"""


def _decode(order_id: str, raw: str) -> Order | None:
    try:
        data = json.loads(raw)
        return Order(
            order_id, str(data["customer"]), int(data["amount_cents"]), int(data["paid_at"])
        )
    except (ValueError, KeyError, TypeError):
        log.warning("order %s is not a valid record; left out of RFM", order_id)
        return None


class OrderStore:
    """Every order of the corp in one Redis hash, by order id, with an index by customer
    (the one writer of `orders`, `customer_orders`, `order_customers`, `orders_indexed`).

    The index lets RFM read customer by customer (`by_customer`) instead of loading every
    order at once. It may hold a stale entry (an order moved to another customer by two
    concurrent writes); the reader checks each order's own customer, so it never counts one
    twice or under the wrong customer."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._read_batch = redis.register_script(_READ_BATCH)

    async def apply(self, rows: Sequence[OrderRow]) -> Applied:
        """Store the orders and remove the refunded ones, in the rows' order."""
        created = updated = removed = 0
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            stored = await self._redis.hmget(self._keys.orders, [row.order_id for row in chunk])
            firsts: list[int] = []  # where each row's HSET / HDEL result is
            async with self._redis.pipeline(transaction=True) as tx:
                queued = 0
                for row, before in zip(chunk, stored, strict=True):
                    firsts.append(queued)
                    queued += self._queue_row(tx, row, before)
                results = await tx.execute()
            for row, at in zip(chunk, firsts, strict=True):
                result = results[at]
                if row.refund:
                    removed += int(result)
                elif int(result):
                    created += 1
                else:
                    updated += 1
        return Applied(created, updated, removed)

    def _queue_row(self, tx: Any, row: OrderRow, before: str | None) -> int:
        """Queue one row's writes (the order, then its index entries); returns how many."""
        old = _decode(row.order_id, before) if before else None
        if row.order is None:
            tx.hdel(self._keys.orders, row.order_id)
            if old is None:
                return 1
            tx.srem(self._keys.customer_orders(old.customer), row.order_id)
            return 2
        customer = row.order.customer
        tx.hset(self._keys.orders, row.order_id, _encode(row.order))
        tx.sadd(self._keys.customer_orders(customer), row.order_id)
        tx.sadd(self._keys.order_customers, customer)
        if old is not None and old.customer != customer:
            tx.srem(self._keys.customer_orders(old.customer), row.order_id)
            return 4
        return 3

    async def by_customer(self, batch: int = 500) -> AsyncIterator[list[Order]]:
        """Every customer's orders, one list per customer, `batch` customers per round trip;
        memory holds one batch (and the ids of the customers seen, as SSCAN may repeat one)."""
        await self._ensure_index()
        seen: set[str] = set()
        todo: list[str] = []
        async for customer in self._redis.sscan_iter(self._keys.order_customers, count=batch):
            if customer not in seen:
                seen.add(customer)
                todo.append(customer)
            if len(todo) >= batch:
                for orders in await self._orders_of(todo):
                    yield orders
                todo = []
        for orders in await self._orders_of(todo):
            yield orders

    async def _orders_of(self, customers: list[str]) -> list[list[Order]]:
        if not customers:
            return []
        replies = await self._read_batch(
            keys=[self._keys.orders, *(self._keys.customer_orders(c) for c in customers)]
        )
        result = []
        for customer, flat in zip(customers, replies, strict=True):
            orders = [
                order
                for order_id, raw in zip(flat[::2], flat[1::2], strict=True)
                if (order := _decode(order_id, raw)) is not None
                and order.customer == customer  # a stale index entry: counted under its own
            ]
            result.append(orders)
        return result

    async def _ensure_index(self) -> None:
        """Index the orders stored before the index existed, once (a scan of the hash: its
        repeats are harmless, adding to a set is idempotent)."""
        if await self._redis.exists(self._keys.orders_indexed):
            return
        async for chunk in self._scan_chunks():
            async with self._redis.pipeline(transaction=False) as pipe:
                for order_id, order in chunk:
                    pipe.sadd(self._keys.customer_orders(order.customer), order_id)
                    pipe.sadd(self._keys.order_customers, order.customer)
                await pipe.execute()
        await self._redis.set(self._keys.orders_indexed, "1")

    async def _scan_chunks(self) -> AsyncIterator[list[tuple[str, Order]]]:
        chunk: list[tuple[str, Order]] = []
        async for order_id, raw in self._redis.hscan_iter(self._keys.orders, count=1000):
            order = _decode(str(order_id), raw)
            if order is not None:
                chunk.append((str(order_id), order))
            if len(chunk) >= WRITE_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def all(self) -> list[Order]:
        """Every stored order (tests and small corps; RFM reads `by_customer`)."""
        return [order async for orders in self.by_customer() for order in orders]

    async def count(self) -> int:
        return int(await self._redis.hlen(self._keys.orders))
