"""Distances on the earth, and the offset Chinese maps apply.

Browsers report WGS-84 positions; Chinese map services (Amap, Tencent, Baidu after its own
further shift) show and hand out GCJ-02 ones, offset from WGS-84 by a few hundred metres inside
mainland China. Store coordinates are taken as the operator copied them (GCJ-02 unless the
campaign says WGS-84), so a visitor's position is converted before comparing. The conversion is
the published GCJ-02 approximation (it is an obfuscation with a public formula); outside
mainland China the two systems agree and nothing is shifted.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
_A = 6_378_245.0  # the Krasovsky ellipsoid GCJ-02 is defined on
_EE = 0.006_693_421_622_965_943


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def in_mainland_china(lat: float, lng: float) -> bool:
    """The rough box GCJ-02 applies to (as the formula's users commonly draw it)."""
    return 0.8293 <= lat <= 55.8271 and 72.004 <= lng <= 137.8347


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """A WGS-84 position as Chinese maps show it (unchanged outside mainland China)."""
    if not in_mainland_china(lat, lng):
        return lat, lng
    x, y = lng - 105.0, lat - 35.0
    d_lat = _shift_lat(x, y)
    d_lng = _shift_lng(x, y)
    rad = math.radians(lat)
    magic = 1 - _EE * math.sin(rad) ** 2
    root = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * root) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / root * math.cos(rad) * math.pi)
    return lat + d_lat, lng + d_lng


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    return ret


def _shift_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    return ret
