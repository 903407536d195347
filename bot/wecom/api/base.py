"""The base of the per-domain API classes: thin GET/POST helpers bound to one secret."""

from __future__ import annotations

from typing import Any

from bot.wecom.transport import FormFactory, JsonDict, WeComTransport


def compact(**fields: Any) -> JsonDict:
    """A JSON payload without the fields left as None."""
    return {key: value for key, value in fields.items() if value is not None}


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

    async def _upload(self, path: str, form: FormFactory, **params: Any) -> JsonDict:
        return await self._transport.call(
            "POST", path, secret=self._secret, params=compact(**params), form=form
        )
