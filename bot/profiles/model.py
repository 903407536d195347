"""What the bot knows about one customer, and about each staff member following them.

A profile lives in one Redis hash per customer (`RedisKeys.profile`): the customer's own fields
under plain names, each follower's under "<userid>|<field>". Flat fields let every event update
just what it knows with one atomic command, without reading the profile first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

SEP = "|"


@dataclass(frozen=True, slots=True)
class ProfileTag:
    """A tag a follower gave the customer."""

    id: str
    group: str = ""
    name: str = ""


@dataclass
class FollowProfile:
    """One staff member's relation with the customer."""

    userid: str
    remark: str = ""
    description: str = ""
    tags: list[ProfileTag] = field(default_factory=list)
    state: str = ""  # the 联系我 code's state the customer added through
    channel: str = ""  # our channel code id, when the state was one of ours
    added_at: int = 0
    deleted_by: str = ""  # customer / staff / transfer; empty while they are connected
    deleted_at: int = 0
    messages: int = 0  # chat messages seen between the two (either direction)
    last_message_at: int = 0

    @property
    def connected(self) -> bool:
        return not self.deleted_by


@dataclass
class CustomerProfile:
    """The customer, their counters and their followers (current and former)."""

    external_userid: str
    name: str = ""
    corp_name: str = ""
    avatar: str = ""
    type: int = 0  # 1 WeChat user, 2 WeCom user
    gender: int = 0
    read_at: int = 0  # when WeCom was last asked (externalcontact/get)
    messages: int = 0
    messages_from_customer: int = 0
    last_message_at: int = 0
    last_customer_message_at: int = 0
    follows: dict[str, FollowProfile] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.read_at or self.messages or self.follows)

    @property
    def deleted(self) -> bool:
        """Every staff member who had the customer lost them (deleted either way)."""
        return bool(self.follows) and not any(f.connected for f in self.follows.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (the CLI and the sidebar)."""
        data = {k: v for k, v in vars(self).items() if k != "follows"}
        data["deleted"] = self.deleted
        data["follows"] = [_follow_dict(f) for f in self.follows.values()]
        return data


def _follow_dict(follow: FollowProfile) -> dict[str, Any]:
    data = {k: v for k, v in vars(follow).items() if k != "tags"}
    data["tags"] = [_tag_dict(t) for t in follow.tags]
    return data


def _tag_dict(tag: ProfileTag) -> dict[str, str]:
    return {"id": tag.id, "group": tag.group, "name": tag.name}


def _names(cls: type, kind: str) -> frozenset[str]:
    """The fields of `cls` annotated as `kind` ("int", "str"), as stored in the hash."""
    return frozenset(f.name for f in fields(cls) if f.type == kind)


# the key is the hash field's own name for the customer, never stored: leave it out
_CUSTOMER_INTS = _names(CustomerProfile, "int")
_CUSTOMER_STRS = _names(CustomerProfile, "str") - {"external_userid"}
_FOLLOW_INTS = _names(FollowProfile, "int")
_FOLLOW_STRS = _names(FollowProfile, "str") - {"userid"}


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def tags_json(tags: list[ProfileTag]) -> str:
    return json.dumps([_tag_dict(t) for t in tags], ensure_ascii=False)


def _tags(value: str) -> list[ProfileTag]:
    try:
        rows = json.loads(value)
    except json.JSONDecodeError:
        return []
    if not isinstance(rows, list):  # Lua's cjson writes an empty list as {}
        return []
    return [
        ProfileTag(str(r.get("id", "")), str(r.get("group", "")), str(r.get("name", "")))
        for r in rows
        if isinstance(r, dict)
    ]


def from_hash(external_userid: str, fields: dict[str, str]) -> CustomerProfile:
    """Rebuild a profile from its hash; unknown fields are ignored."""
    profile = CustomerProfile(external_userid)
    for key, value in fields.items():
        userid, sep, name = key.partition(SEP)
        if not sep:
            if key in _CUSTOMER_INTS:
                setattr(profile, key, _int(value))
            elif key in _CUSTOMER_STRS:
                setattr(profile, key, value)
            continue
        follow = profile.follows.setdefault(userid, FollowProfile(userid))
        if name in _FOLLOW_INTS:
            setattr(follow, name, _int(value))
        elif name == "tags":
            follow.tags = _tags(value)
        elif name in _FOLLOW_STRS:
            setattr(follow, name, value)
    return profile
