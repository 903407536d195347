"""Sensitive-word intercept rules (doc 95097)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.helpers import Api

RANGE = {"user_list": ["zhangsan"], "department_list": [2]}


def rule(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rule_name": "违禁词",
        "word_list": ["加微信", "返现"],
        "semantics_list": [1, 3],
        "intercept_type": 1,
        "applicable_range": RANGE,
    }
    base.update(overrides)
    return base


async def test_rule_lifecycle(contact_api: Api) -> None:
    added = await contact_api.post("externalcontact/add_intercept_rule", rule())
    assert added["errcode"] == 0
    rule_id = added["rule_id"]
    listing = await contact_api.get("externalcontact/get_intercept_rule_list")
    assert [(r["rule_id"], r["rule_name"]) for r in listing["rule_list"]] == [(rule_id, "违禁词")]
    got = (await contact_api.post("externalcontact/get_intercept_rule", {"rule_id": rule_id}))[
        "rule"
    ]
    assert got["word_list"] == ["加微信", "返现"]
    assert got["extra_rule"] == {"semantics_list": [1, 3]}
    assert got["applicable_range"] == RANGE
    update = {
        "rule_id": rule_id,
        "rule_name": "改名",
        "word_list": ["刷单"],
        "extra_rule": {"semantics_list": [2]},
        "intercept_type": 2,
        "add_applicable_range": {"user_list": ["lisi"]},
        "remove_applicable_range": {"user_list": ["zhangsan"]},
    }
    assert (await contact_api.post("externalcontact/update_intercept_rule", update))["errcode"] == 0
    got = (await contact_api.post("externalcontact/get_intercept_rule", {"rule_id": rule_id}))[
        "rule"
    ]
    assert (got["rule_name"], got["word_list"], got["intercept_type"]) == ("改名", ["刷单"], 2)
    assert got["applicable_range"] == {"user_list": ["lisi"], "department_list": [2]}
    deleted = await contact_api.post("externalcontact/del_intercept_rule", {"rule_id": rule_id})
    assert deleted["errcode"] == 0
    assert (await contact_api.get("externalcontact/get_intercept_rule_list"))["rule_list"] == []
    gone = await contact_api.post("externalcontact/get_intercept_rule", {"rule_id": rule_id})
    assert gone["errcode"] == 40058


@pytest.mark.parametrize(
    ("ok", "bad"),
    [
        ({"rule_name": "名" * 20}, {"rule_name": "名" * 21}),
        ({"rule_name": "a"}, {"rule_name": ""}),
        (
            {"word_list": [f"w{i}" for i in range(300)]},
            {"word_list": [f"w{i}" for i in range(301)]},
        ),
        ({"word_list": ["词" * 32]}, {"word_list": ["词" * 33]}),
        ({"word_list": ["x"]}, {"word_list": [""]}),
        ({"semantics_list": [1, 2, 3]}, {"semantics_list": [4]}),
        ({"intercept_type": 2}, {"intercept_type": 3}),
        ({"applicable_range": {"department_list": [1]}}, {"applicable_range": {}}),
    ],
    ids=[
        "name-20",
        "name-empty",
        "words-300",
        "word-32",
        "word-empty",
        "semantics",
        "intercept_type",
        "range",
    ],
)
async def test_rule_limits(contact_api: Api, ok: dict[str, Any], bad: dict[str, Any]) -> None:
    refused = await contact_api.post("externalcontact/add_intercept_rule", rule(**bad))
    assert refused["errcode"] == 40058
    accepted = await contact_api.post("externalcontact/add_intercept_rule", rule(**ok))
    assert accepted["errcode"] == 0


async def test_range_must_name_real_staff(contact_api: Api) -> None:
    data = await contact_api.post(
        "externalcontact/add_intercept_rule", rule(applicable_range={"user_list": ["ghost"]})
    )
    assert data["errcode"] == 40003


async def test_at_most_100_rules(contact_api: Api) -> None:
    for n in range(100):
        added = await contact_api.post(
            "externalcontact/add_intercept_rule", rule(rule_name=f"r{n}")
        )
        assert added["errcode"] == 0
    over = await contact_api.post("externalcontact/add_intercept_rule", rule(rule_name="r100"))
    assert over["errcode"] == 40058
    assert "exceed limit 100" in over["errmsg"]
