"""Store lists from CSV: every bad row named by its line, nothing taken when any is bad; and the
map offset Chinese maps use, checked against the published vector."""

from __future__ import annotations

import pytest

from bot.store_codes.csv_import import StoreListError, parse_stores
from bot.store_codes.geo import distance_m, wgs84_to_gcj02
from bot.store_codes.model import Campaign, StoreCodeError, validate_campaign

HEADER = "name,city,address,lat,lng,code\n"


def test_a_good_list_with_a_bom_and_columns_in_any_order() -> None:
    text = "\ufeffcity,name,lat,lng,address,code\n上海,静安店,31.2286,121.4484,南京西路 1 号,channel:a1b2c3\n"
    stores, lines = parse_stores(text.encode())
    [store] = stores
    assert (store.name, store.city, store.lat, store.lng) == ("静安店", "上海", 31.2286, 121.4484)
    assert lines == {store.id: 2}
    again, _ = parse_stores(text.encode())
    assert again[0].id == store.id  # stable: a store's numbers carry on across imports


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            "静安店,上海,南京西路,91,121.4,channel:a1b2c3\n",
            "第 3 行：纬度 91.0 不在 -90 到 90 之间",
        ),
        (
            "静安店,上海,南京西路,31.2,181,channel:a1b2c3\n",
            "第 3 行：经度 181.0 不在 -180 到 180 之间",
        ),
        ("静安店,上海,南京西路,abc,121.4,channel:a1b2c3\n", "第 3 行：纬度「abc」不是数字"),
        ("静安店,上海,南京西路,nan,121.4,channel:a1b2c3\n", "第 3 行：纬度「nan」不是数字"),
        ("静安店,上海,南京西路,0,0,channel:a1b2c3\n", "第 3 行：坐标是 0,0：请填写门店的经纬度"),
        (
            "静安店,上海,南京西路,31.2,121.4,wechat:abc\n",
            "第 3 行：「wechat:abc」不是有效的活码：写作 channel:<渠道编号> 或 group:<群活码编号>",
        ),
        ("静安店,上海,南京西路,31.2\n", "第 3 行：应有 6 列，实际 4 列"),
        (",上海,南京西路,31.2,121.4,channel:a1b2c3\n", "第 3 行：门店名称需要 1–40 个字"),
        (
            "静安店,上海,南京西路,31.2,121.4,channel:a1b2c3\n\n静安店,上海,别处,31.3,121.5,group:abc\n",
            "第 5 行：与第 3 行是同一城市的同名门店",
        ),
    ],
)
def test_bad_rows_are_named_by_line_and_nothing_is_taken(rows: str, said: str) -> None:
    good = "徐汇店,上海,漕溪北路,31.19,121.43,group:d4e5f6\n"  # line 2
    with pytest.raises(StoreListError) as caught:
        parse_stores((HEADER + good + rows).encode())
    assert caught.value.problems == [said]
    assert "未导入任何门店" in str(caught.value)


def test_the_header_encoding_and_size_are_checked() -> None:
    with pytest.raises(StoreListError, match="表头应是"):
        parse_stores("门店,城市\n".encode())
    with pytest.raises(StoreListError, match="UTF-8"):
        parse_stores((HEADER + "静安店,上海,南京西路,31.2,121.4,channel:a\n").encode("gbk"))
    with pytest.raises(StoreListError, match="文件超过"):
        parse_stores(b"x" * (2 * 1024 * 1024 + 1))
    with pytest.raises(StoreListError, match="没有门店"):
        parse_stores(HEADER.encode())


def test_every_problem_is_listed_but_the_message_stays_short() -> None:
    rows = "".join(f"店{n},上海,路,999,121,channel:a\n" for n in range(200))
    with pytest.raises(StoreListError) as caught:
        parse_stores((HEADER + rows).encode())
    assert len(caught.value.problems) == 200
    assert "另有 150 处问题" in str(caught.value) and len(str(caught.value)) < 5000


def test_campaign_checks() -> None:
    for campaign, said in (
        (Campaign("", "", "channel:abc"), "活动名称"),
        (Campaign("", "春季", "channel:abc", radius_m=50), "范围应在"),
        (Campaign("", "春季", "nothing"), "不是有效的活码"),
        (Campaign("", "春季", "channel:abc", coordinates="bd09"), "坐标系"),
    ):
        with pytest.raises(StoreCodeError, match=said):
            validate_campaign(campaign)


def test_the_gcj02_offset_matches_the_published_vector() -> None:
    # the vector published with the formula (eviltransform's tests)
    assert wgs84_to_gcj02(39.915, 116.404) == pytest.approx((39.91640428150164, 116.41024449916938))
    assert wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)  # Paris: not shifted
    assert distance_m(39.915, 116.404, 31.2304, 121.4737) == pytest.approx(1_068_514, rel=1e-3)
