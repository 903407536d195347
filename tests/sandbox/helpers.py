"""Shared helpers of the sandbox tests: a controllable clock and a thin API caller."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

START = 1_706_745_600.0  # 2024-02-01 08:00 China time: February 2024 has 29 days


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    """Calls `/cgi-bin/{path}` on the sandbox app with a token."""

    def __init__(self, client: TestClient[Any, Any], token: str) -> None:
        self.client = client
        self.token = token

    async def post(self, path: str, payload: Any = None, **params: Any) -> dict[str, Any]:
        params["access_token"] = self.token
        async with self.client.post(f"/cgi-bin/{path}", params=params, json=payload) as resp:
            assert resp.status == 200, await resp.text()
            data: dict[str, Any] = await resp.json()
            return data

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        params["access_token"] = self.token
        async with self.client.get(f"/cgi-bin/{path}", params=params) as resp:
            assert resp.status == 200, await resp.text()
            data: dict[str, Any] = await resp.json()
            return data


def utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def text_of_bytes(size: int) -> str:
    """A string of exactly `size` UTF-8 bytes, mostly 3-byte Chinese characters."""
    return "你" * (size // 3) + "a" * (size % 3)
