"""Store-code campaigns and their stores, as operators define them, and the checks on them.

A campaign is what a poster prints: one public landing page (`/s/<campaign id>`) that shows the
visitor the code of the nearest store within `radius_m`, else the campaign's backup code. Each
store has its own code — a channel code (`channel:<id>`: the customer adds a member) or a group
live code (`group:<id>`: the customer joins a group) — so adds and joins count per store.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

from bot.errors import UserError

MAX_STORES = 5000  # per campaign: the nearest store is found by one scan of them all
MAX_NAME = 40
MAX_CITY = 20
MAX_ADDRESS = 120
MAX_RADIUS_M = 100_000
CODE_KINDS = ("channel", "group")
COORDINATES = ("gcj02", "wgs84")


class StoreCodeError(UserError, ValueError):
    """A campaign or store that can't be saved; the message says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class CodeRef:
    """A channel code or a group live code, as `channel:<id>` / `group:<id>`."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> CodeRef:
        kind, _, code_id = text.strip().partition(":")
        if kind not in CODE_KINDS or not code_id or len(code_id) > 32 or not code_id.isalnum():
            raise StoreCodeError(
                f"「{text[:40]}」不是有效的活码：写作 channel:<渠道编号> 或 group:<群活码编号>"
            )
        return cls(kind, code_id)


@dataclass(frozen=True, slots=True)
class Campaign:
    """One poster's landing page: the radius, the backup code and how coordinates are given."""

    id: str
    name: str
    backup: str  # a CodeRef, as text
    radius_m: int = 5000
    coordinates: str = "gcj02"  # of its stores: gcj02 (Chinese maps) or wgs84 (GPS)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> Campaign:
        return cls(**json.loads(data))


@dataclass(frozen=True, slots=True)
class Store:
    """One store of a campaign: where it is and its own code."""

    id: str
    name: str
    city: str
    address: str
    lat: float
    lng: float
    code: str  # a CodeRef, as text

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> Store:
        return cls(**json.loads(data))


def store_id(name: str, city: str) -> str:
    """Stable across imports (a store's numbers carry on when the list is imported again)."""
    return hashlib.sha256(f"{city}\x00{name}".encode()).hexdigest()[:8]


def validate_campaign(campaign: Campaign) -> None:
    if not campaign.name.strip() or len(campaign.name) > MAX_NAME:
        raise StoreCodeError(f"活动名称需要 1–{MAX_NAME} 个字")
    if not 100 <= campaign.radius_m <= MAX_RADIUS_M:
        raise StoreCodeError(f"范围应在 100 到 {MAX_RADIUS_M} 米之间")
    if campaign.coordinates not in COORDINATES:
        raise StoreCodeError("坐标系应是 gcj02（高德、腾讯地图）或 wgs84（GPS）")
    CodeRef.parse(campaign.backup)


def validate_store(store: Store) -> None:
    """Raise `StoreCodeError` naming the first problem of one store."""
    for value, label, most in (
        (store.name, "门店名称", MAX_NAME),
        (store.city, "城市", MAX_CITY),
        (store.address, "地址", MAX_ADDRESS),
    ):
        if not value.strip() or len(value) > most or not value.isprintable():
            raise StoreCodeError(f"{label}需要 1–{most} 个字")
    if not (math.isfinite(store.lat) and -90 <= store.lat <= 90):
        raise StoreCodeError(f"纬度 {str(store.lat)[:20]} 不在 -90 到 90 之间")
    if not (math.isfinite(store.lng) and -180 <= store.lng <= 180):
        raise StoreCodeError(f"经度 {str(store.lng)[:20]} 不在 -180 到 180 之间")
    if store.lat == 0 and store.lng == 0:
        raise StoreCodeError("坐标是 0,0：请填写门店的经纬度")
    CodeRef.parse(store.code)
