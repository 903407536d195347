"""Sensitive-word intercept rules (敏感词管理, 事前拦截), doc 95097."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI, compact
from bot.wecom.transport import JsonDict

SEMANTICS_PHONE, SEMANTICS_EMAIL, SEMANTICS_RED_PACKET = 1, 2, 3
INTERCEPT_WARN_AND_BLOCK, INTERCEPT_WARN_ONLY = 1, 2


class InterceptAPI(BaseAPI):
    """`externalcontact/*_intercept_rule` endpoints (customer-contact secret)."""

    async def add_rule(
        self,
        rule_name: str,
        word_list: list[str],
        intercept_type: int = INTERCEPT_WARN_AND_BLOCK,
        applicable_range: JsonDict | None = None,
        semantics_list: list[int] | None = None,
    ) -> str:
        """Create a rule (≤300 words of 1-32 chars, ≤100 rules per corp); returns `rule_id`."""
        payload = compact(
            rule_name=rule_name,
            word_list=word_list,
            semantics_list=semantics_list,
            intercept_type=intercept_type,
            applicable_range=applicable_range,
        )
        data = await self._post("externalcontact/add_intercept_rule", payload)
        return str(data["rule_id"])

    async def list_rules(self) -> list[JsonDict]:
        """Every rule of the corp: rule_id, rule_name, create_time."""
        data = await self._get("externalcontact/get_intercept_rule_list")
        return list(data.get("rule_list", []))

    async def get_rule(self, rule_id: str) -> JsonDict:
        """One rule with its words and range."""
        data = await self._post("externalcontact/get_intercept_rule", {"rule_id": rule_id})
        return dict(data.get("rule", {}))

    async def update_rule(
        self,
        rule_id: str,
        rule_name: str | None = None,
        word_list: list[str] | None = None,
        intercept_type: int | None = None,
        semantics_list: list[int] | None = None,
        add_applicable_range: JsonDict | None = None,
        remove_applicable_range: JsonDict | None = None,
    ) -> JsonDict:
        """Change a rule; `word_list`, when given, replaces the rule's whole word list."""
        payload = compact(
            rule_id=rule_id,
            rule_name=rule_name,
            word_list=word_list,
            intercept_type=intercept_type,
            extra_rule={"semantics_list": semantics_list} if semantics_list is not None else None,
            add_applicable_range=add_applicable_range,
            remove_applicable_range=remove_applicable_range,
        )
        return await self._post("externalcontact/update_intercept_rule", payload)

    async def del_rule(self, rule_id: str) -> JsonDict:
        """Delete a rule."""
        return await self._post("externalcontact/del_intercept_rule", {"rule_id": rule_id})
