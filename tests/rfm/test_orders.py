"""Order rows, the order store and CSV import: one row format, idempotent, all-or-nothing files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.clock import CORP_TIME
from bot.keys import RedisKeys
from bot.rfm.csv_import import ImportProblems, import_orders, read_orders
from bot.rfm.model import Order
from bot.rfm.orders import OrderError, OrderRow, OrderStore, parse_order

NOW = 1_800_000_000.0
AMOUNT_RULE = (
    "amount 应为金额（单位元），如 12.50，只用半角数字和小数点，不带正负号、千分位或科学计数法"
)
HEADER = "order_id,external_userid,amount,paid_at,refunded\n"


@pytest.fixture
def store(redis: Redis, key_prefix: str) -> OrderStore:
    return OrderStore(redis, RedisKeys("wwcorp", key_prefix))


def row(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "order_id": "T1001",
        "external_userid": "wmCustomer1",
        "amount": "12.50",
        "paid_at": 1_790_000_000,
    }
    base.update(changes)
    return base


def corp_time(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=CORP_TIME).timestamp())


def test_amounts_times_and_refund_flags() -> None:
    assert parse_order(row(), NOW) == OrderRow(
        "T1001", Order("T1001", "wmCustomer1", 1250, 1_790_000_000)
    )
    cases = {
        "amount": [(12.5, 1250), (19.99, 1999), ("0", 0), (" 3 ", 300), (1e3, 100_000)],
        "paid_at": [
            (1_790_000_000_123, 1_790_000_000),  # milliseconds
            ("1790000000", 1_790_000_000),
            ("2026-11-01", corp_time("2026-11-01T00:00")),
            ("2026-11-01 12:30", corp_time("2026-11-01T12:30")),
            ("2026/11/1 12:30", corp_time("2026-11-01T12:30")),
            (
                "2026-11-01T12:30:00+00:00",
                int(datetime.fromisoformat("2026-11-01T12:30:00+00:00").timestamp()),
            ),
        ],
    }
    for field, pairs in cases.items():
        for given, expected in pairs:
            order = parse_order(row(**{field: given}), NOW).order
            assert order is not None
            got = order.amount_cents if field == "amount" else order.paid_at
            assert got == expected, (field, given)
    for flag in (True, "1", "true", "是", " TRUE "):
        refund = parse_order({"order_id": "T1001", "refunded": flag}, NOW)
        assert refund.refund and refund.order_id == "T1001"
    for flag in (False, None, "", "0", "否"):
        assert not parse_order(row(refunded=flag), NOW).refund


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"order_id": ""}, "缺少 order_id"),
        ({"order_id": "有 空格"}, "order_id 应为"),
        ({"external_userid": None}, "缺少 external_userid"),
        ({"external_userid": "wm bad"}, "external_userid 格式无效"),
        ({"external_userid": 42.5}, "external_userid 应为字符串"),
        ({"amount": ""}, "缺少 amount"),
        ({"amount": "12,50"}, "amount 应为金额"),
        ({"amount": "-1"}, "不小于 0"),
        ({"amount": "NaN"}, "amount 应为金额"),
        ({"amount": "1.005"}, "最多两位小数"),
        ({"amount": True}, "amount 应为金额"),
        ({"amount": "200000000"}, "超过单笔上限"),
        ({"paid_at": None}, "缺少 paid_at"),
        ({"paid_at": "昨天"}, "paid_at 应为 Unix 时间"),
        ({"paid_at": 1_000_000}, "paid_at 不在合理范围内"),
        ({"paid_at": NOW + 2 * 86_400}, "paid_at 不在合理范围内"),
        ({"paid_at": float("inf")}, "paid_at 不在合理范围内"),
        ({"refunded": "maybe"}, "refunded 应为"),
    ],
)
def test_bad_rows_say_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(OrderError, match=message):
        parse_order(row(**changes), NOW)


async def test_sending_an_order_again_replaces_it_and_a_refund_removes_it(
    store: OrderStore,
) -> None:
    first = await store.apply([parse_order(row(), NOW), parse_order(row(order_id="T2"), NOW)])
    assert (first.created, first.updated, first.removed) == (2, 0, 0)
    again = await store.apply([parse_order(row(amount="99"), NOW)])
    assert (again.created, again.updated) == (0, 1)
    assert await store.count() == 2
    by_id = {o.order_id: o for o in await store.all()}
    assert by_id["T1001"].amount_cents == 9900
    refund = parse_order({"order_id": "T2", "refunded": True}, NOW)
    assert (await store.apply([refund])).removed == 1
    assert (await store.apply([refund])).removed == 0  # a refund sent twice: nothing more
    assert [o.order_id for o in await store.all()] == ["T1001"]
    # an order and its refund in one batch: applied in order, nothing left
    pair = [
        parse_order(row(order_id="T3"), NOW),
        parse_order({"order_id": "T3", "refunded": 1}, NOW),
    ]
    assert (await store.apply(pair)).removed == 1
    assert await store.count() == 1


async def test_csv_bad_rows_are_named_by_line_and_nothing_is_stored(
    store: OrderStore, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        HEADER
        + "A1,wmOne,10.00,2026-11-01,\n"
        + "A2,wmOne,abc,2026-11-02,\n"
        + "\n"  # blank lines are skipped but still counted
        + 'A3,wmTwo,"5\n0",2026-11-03,\n'  # a quoted cell spanning two lines
        + ",wmTwo,5,2026-11-04,\n"
        + "A5,wmTwo,5,2026-11-05,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as refused:
        await import_orders(store, path, NOW)
    assert refused.value.problems == [
        f"第 3 行：{AMOUNT_RULE}（收到 'abc'）",
        f"第 5 行：{AMOUNT_RULE}（收到 '5\\n0'）",
        "第 7 行：缺少 order_id",
    ]
    assert "未导入任何订单" in str(refused.value)
    assert await store.count() == 0


async def test_csv_with_bom_dry_run_then_import(store: OrderStore, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    # Excel's "CSV UTF-8": a BOM, CRLF, columns in another order and case, an extra column
    path.write_bytes(
        "\ufeffPaid_At,Order_ID,External_UserID,Amount,商品\r\n"
        "2026-11-01 09:00,A1,wmOne,128.00,茶叶\r\n"
        "1790000000000,A2,wmTwo,9.9,杯子\r\n".encode()
    )
    assert await import_orders(store, path, NOW, dry_run=True) == {
        "rows": 2,
        "orders": 2,
        "refunds": 0,
        "dry_run": True,
    }
    assert await store.count() == 0
    result = await import_orders(store, path, NOW)
    assert (result["created"], result["updated"], result["removed"]) == (2, 0, 0)
    assert sorted((o.order_id, o.customer, o.amount_cents) for o in await store.all()) == [
        ("A1", "wmOne", 12800),
        ("A2", "wmTwo", 990),
    ]
    # the same file again, plus a refund: nothing duplicated
    path.write_text(HEADER + "A1,wmOne,128.00,2026-11-01 09:00,\nA2,,,,是\n", encoding="utf-8")
    result = await import_orders(store, path, NOW)
    assert (result["orders"], result["refunds"], result["updated"], result["removed"]) == (
        1,
        1,
        1,
        1,
    )
    assert [o.order_id for o in await store.all()] == ["A1"]


def test_unreadable_files(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "A1,wmOne,1,2026-11-01,否\n").encode("gbk"))
    with pytest.raises(OrderError, match="不是 UTF-8 编码"):
        read_orders(gbk, NOW)
    no_header = tmp_path / "short.csv"
    no_header.write_text("order_id,amount\nA1,1\n", encoding="utf-8")
    with pytest.raises(OrderError, match="CSV 缺少列：external_userid, paid_at"):
        read_orders(no_header, NOW)
    with pytest.raises(OrderError, match="无法读取"):
        read_orders(tmp_path / "missing.csv", NOW)


def order(order_id: str, customer: str, paid_at: int = 1_790_000_000) -> OrderRow:
    return parse_order(row(order_id=order_id, external_userid=customer, paid_at=paid_at), NOW)


async def grouped(store: OrderStore) -> dict[str, list[str]]:
    """Each customer's order ids as `by_customer` streams them (small batches: many trips)."""
    result: dict[str, list[str]] = {}
    async for orders in store.by_customer(batch=2):
        if orders:
            assert len({o.customer for o in orders}) == 1  # one customer per list
            assert orders[0].customer not in result  # each customer once
            result[orders[0].customer] = sorted(o.order_id for o in orders)
    return result


async def test_orders_stream_by_customer_through_moves_and_refunds(store: OrderStore) -> None:
    rows = [order(f"T{n}", f"wm{n % 5}") for n in range(40)]
    await store.apply(rows)
    # an order that changes customer, and a refund
    await store.apply([order("T3", "wm0"), parse_order(row(order_id="T7", refunded=True), NOW)])
    expected: dict[str, list[str]] = {}
    for n in range(40):
        if n != 7:
            customer = "wm0" if n == 3 else f"wm{n % 5}"
            expected.setdefault(customer, []).append(f"T{n}")
    assert await grouped(store) == {c: sorted(ids) for c, ids in expected.items()}
    assert sorted(o.order_id for o in await store.all()) == sorted(
        i for ids in expected.values() for i in ids
    )


async def test_orders_from_before_the_index_are_indexed_once(
    store: OrderStore, redis: Redis, key_prefix: str
) -> None:
    keys = RedisKeys("wwcorp", key_prefix)
    # written as an earlier version did: the hash alone
    await redis.hset(
        keys.orders,
        mapping={
            "OLD1": '{"customer":"wmA","amount_cents":100,"paid_at":1790000000}',
            "OLD2": '{"customer":"wmB","amount_cents":200,"paid_at":1790000000}',
            "BAD": "not json",
        },
    )
    await store.apply([order("NEW1", "wmA")])
    assert await grouped(store) == {"wmA": ["NEW1", "OLD1"], "wmB": ["OLD2"]}
    assert await redis.get(keys.orders_indexed) == "1"


async def test_a_stale_index_entry_counts_nowhere_twice(
    store: OrderStore, redis: Redis, key_prefix: str
) -> None:
    keys = RedisKeys("wwcorp", key_prefix)
    await store.apply([order("T1", "wmA"), order("T2", "wmB")])
    # two writers raced: T1 is listed under wmB too, though it is wmA's
    await redis.sadd(keys.customer_orders("wmB"), "T1")
    await redis.sadd(keys.customer_orders("wmC"), "GONE")
    await redis.sadd(keys.order_customers, "wmC")
    assert await grouped(store) == {"wmA": ["T1"], "wmB": ["T2"]}
