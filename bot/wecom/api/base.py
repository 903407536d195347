"""The base of the per-domain API classes: thin GET/POST helpers bound to one secret."""

from __future__ import annotations

from typing import Any

from bot.wecom.transport import FormFactory, JsonDict, WeComTransport


def compact(**fields: Any) -> JsonDict:
    """A JSON payload without the fields left as None."""
    return {key: value for key, value in fields.items() if value is not None}


def number(value: object) -> int:
    """A number field of WeCom's JSON read leniently (a string of digits counts); 0 when it
    isn't one."""
    try:
        return int(str(value))
    except ValueError:
        return 0


class BaseAPI:
    """Calls made with the access token of `secret`."""

    def __init__(self, transport: WeComTransport, secret: str) -> None:
        self._transport = transport
        self._secret = secret

    async def _get(self, path: str, **params: Any) -> JsonDict:
        return await self._transport.call(
            "GET", path, secret=self._secret, params=compact(**params)
        )

    async def _post(
        self, path: str, payload: JsonDict, *, once: bool = False, **params: Any
    ) -> JsonDict:
        return await self._transport.call(
            "POST", path, secret=self._secret, params=compact(**params), json=payload, once=once
        )

    async def _pages(
        self, path: str, field: str, payload: JsonDict, max_pages: int = 1000
    ) -> list[JsonDict]:
        """Every row of a cursor-paged POST: `field` of each page, following `next_cursor`
        (and stopping at `is_last`, where the API says so) for at most `max_pages` pages."""
        rows: list[JsonDict] = []
        cursor = ""
        for _ in range(max_pages):
            data = await self._post(path, compact(**payload, cursor=cursor or None))
            rows += list(data.get(field, []))
            cursor = str(data.get("next_cursor") or "")
            if not cursor or data.get("is_last") is True:
                break
        return rows

    async def _upload(self, path: str, form: FormFactory, **params: Any) -> JsonDict:
        return await self._transport.call(
            "POST", path, secret=self._secret, params=compact(**params), form=form
        )
