"""Sensitive-word intercept rules (管理聊天敏感词, doc 95097): add, list, get, update, del.

`add` takes `semantics_list` at the top level while `update` and `get` carry it inside
`extra_rule`; `update`'s `word_list` replaces the rule's words.
"""

from __future__ import annotations

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import (
    ApiError,
    JsonDict,
    as_dict,
    as_int,
    as_list,
    as_str,
    invalid,
    max_chars,
    str_list,
)
from bot.sandbox.state import InterceptRule

router = EndpointTable()

MAX_RULES = 100
MAX_WORDS = 300
MAX_RANGE = 1000
SEMANTICS = (1, 2, 3)  # phone number, email address, red packet


def _words(value: object) -> list[str]:
    words = str_list(value, "word_list")
    if not words:
        raise invalid("word_list", "is empty")
    if len(words) > MAX_WORDS:
        raise invalid("word_list", f"size exceed max {MAX_WORDS}")
    for word in words:
        max_chars(word, "word_list.word", 32, minimum=1)
    return list(dict.fromkeys(words))


def _semantics(value: object) -> list[int]:
    items = [as_int(v, "semantics_list") for v in as_list(value, "semantics_list")]
    if any(v not in SEMANTICS for v in items):
        raise invalid("semantics_list", "values must be 1, 2 or 3")
    return sorted(set(items))


def _intercept_type(value: object) -> int:
    kind = as_int(value, "intercept_type")
    if kind not in (1, 2):
        raise invalid("intercept_type", "must be 1 or 2")
    return kind


def _range(ctx: Ctx, value: object, field: str) -> tuple[list[str], list[int]]:
    scope = as_dict(value, field)
    users = str_list(scope.get("user_list"), f"{field}.user_list", MAX_RANGE)
    departments = as_list(scope.get("department_list"), f"{field}.department_list", MAX_RANGE)
    parties = [as_int(d, f"{field}.department_list") for d in departments]
    for userid in users:
        if userid not in ctx.state.staff:
            raise ApiError(40003, f"invalid userid {userid[:64]}")
    for party in parties:
        if not ctx.state.department_members(party):
            raise ApiError(40066, f"invalid party {party}")
    return users, parties


def _rule(ctx: Ctx) -> InterceptRule:
    rule_id = as_str(ctx.body.get("rule_id"), "rule_id")
    rule = ctx.state.rules.get(rule_id)
    if rule is None:
        raise invalid("rule_id")  # unconfirmed errcode for an unknown rule
    return rule


def rule_json(rule: InterceptRule) -> JsonDict:
    return {
        "rule_id": rule.rule_id,
        "rule_name": rule.rule_name,
        "word_list": list(rule.word_list),
        "extra_rule": {"semantics_list": list(rule.semantics_list)},
        "intercept_type": rule.intercept_type,
        "applicable_range": {
            "user_list": list(rule.user_list),
            "department_list": list(rule.department_list),
        },
    }


@router.route("externalcontact/add_intercept_rule")
async def add_intercept_rule(ctx: Ctx) -> JsonDict:
    body = ctx.body
    if len(ctx.state.rules) >= MAX_RULES:
        raise ApiError(40058, f"intercept rule count exceed limit {MAX_RULES}")  # unconfirmed
    name = max_chars(body.get("rule_name"), "rule_name", 20, minimum=1)
    words = _words(body.get("word_list"))
    semantics = body.get("semantics_list")
    if semantics is None:
        semantics = as_dict(body.get("extra_rule"), "extra_rule").get("semantics_list")
    kind = _intercept_type(body.get("intercept_type"))
    users, parties = _range(ctx, body.get("applicable_range"), "applicable_range")
    if not users and not parties:
        raise invalid("applicable_range", "user_list and department_list are both empty")
    rule = InterceptRule(
        ctx.state.new_id("", 32),
        name,
        words,
        _semantics(semantics),
        kind,
        users,
        parties,
        int(ctx.now),
    )
    ctx.state.rules[rule.rule_id] = rule
    return {"rule_id": rule.rule_id}


@router.route("externalcontact/get_intercept_rule_list")
async def get_intercept_rule_list(ctx: Ctx) -> JsonDict:
    rules = sorted(ctx.state.rules.values(), key=lambda r: r.create_time)
    return {
        "rule_list": [
            {"rule_id": r.rule_id, "rule_name": r.rule_name, "create_time": r.create_time}
            for r in rules
        ]
    }


@router.route("externalcontact/get_intercept_rule")
async def get_intercept_rule(ctx: Ctx) -> JsonDict:
    return {"rule": rule_json(_rule(ctx))}


@router.route("externalcontact/update_intercept_rule")
async def update_intercept_rule(ctx: Ctx) -> JsonDict:
    rule = _rule(ctx)
    body = ctx.body
    name = rule.rule_name
    if body.get("rule_name") is not None:
        name = max_chars(body.get("rule_name"), "rule_name", 20, minimum=1)
    words = _words(body["word_list"]) if body.get("word_list") is not None else rule.word_list
    semantics = rule.semantics_list
    extra = as_dict(body.get("extra_rule"), "extra_rule")
    if extra.get("semantics_list") is not None:
        semantics = _semantics(extra["semantics_list"])
    kind = rule.intercept_type
    if body.get("intercept_type") is not None:
        kind = _intercept_type(body.get("intercept_type"))
    add_users, add_parties = _range(ctx, body.get("add_applicable_range"), "add_applicable_range")
    del_users, del_parties = _range(
        ctx, body.get("remove_applicable_range"), "remove_applicable_range"
    )
    users = [u for u in dict.fromkeys(rule.user_list + add_users) if u not in del_users]
    parties = [p for p in dict.fromkeys(rule.department_list + add_parties) if p not in del_parties]
    if not users and not parties:
        raise invalid("applicable_range", "would become empty")
    rule.rule_name, rule.word_list, rule.semantics_list = name, words, semantics
    rule.intercept_type, rule.user_list, rule.department_list = kind, users, parties
    return {}


@router.route("externalcontact/del_intercept_rule")
async def del_intercept_rule(ctx: Ctx) -> JsonDict:
    del ctx.state.rules[_rule(ctx).rule_id]
    return {}
