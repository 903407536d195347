"""Corp tags: `get_corp_tag_list`, `add_corp_tag` (doc 92117) and `mark_tag` (doc 92118).

Marking through the API fires no `edit_external_contact` callback (doc 92130), so
nothing here touches the callback driver.
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
from bot.sandbox.state import Tag, TagGroup

router = EndpointTable()

MAX_CORP_TAGS = 3000
MAX_TAG_NAME = 30  # characters (doc 92117: "长度限制为30个字以内")


def _tag_json(tag: Tag) -> JsonDict:
    return {"id": tag.id, "name": tag.name, "create_time": tag.create_time, "order": tag.order}


def _group_json(group: TagGroup, tags: list[Tag]) -> JsonDict:
    return {
        "group_id": group.group_id,
        "group_name": group.group_name,
        "create_time": group.create_time,
        "order": group.order,
        "tag": [_tag_json(tag) for tag in tags],
    }


@router.route("externalcontact/get_corp_tag_list")
async def get_corp_tag_list(ctx: Ctx) -> JsonDict:
    state = ctx.state
    group_ids = str_list(ctx.body.get("group_id"), "group_id")
    tag_ids = str_list(ctx.body.get("tag_id"), "tag_id")
    result = []
    if group_ids:  # doc: with both lists given, group_id wins and tag_id is ignored
        for group_id in dict.fromkeys(group_ids):
            group = state.tag_groups.get(group_id)
            if group is not None:
                result.append(_group_json(group, [state.tags[t] for t in group.tag_ids]))
    elif tag_ids:
        wanted = [state.tags[t] for t in dict.fromkeys(tag_ids) if t in state.tags]
        for group in state.tag_groups.values():
            tags = [tag for tag in wanted if tag.group_id == group.group_id]
            if tags:
                result.append(_group_json(group, tags))
    else:
        for group in state.tag_groups.values():
            result.append(_group_json(group, [state.tags[t] for t in group.tag_ids]))
    return {"tag_group": result}


@router.route("externalcontact/add_corp_tag")
async def add_corp_tag(ctx: Ctx) -> JsonDict:
    state = ctx.state
    items = as_list(ctx.body.get("tag"), "tag")
    if not items:
        raise invalid("tag", "is empty")  # unconfirmed errcode: no empty groups allowed
    new: list[tuple[str, int]] = []
    for index, item in enumerate(items):
        entry = as_dict(item, f"tag[{index}]")
        name = max_chars(entry.get("name"), "tag.name", MAX_TAG_NAME, minimum=1)
        new.append((name, as_int(entry.get("order"), "tag.order", default=0)))
    group_id = as_str(ctx.body.get("group_id"), "group_id")
    if group_id:
        group = state.tag_groups.get(group_id)
        if group is None:
            raise ApiError(40068, f"invalid group_id {group_id[:32]}")
    else:
        name = max_chars(ctx.body.get("group_name"), "group_name", MAX_TAG_NAME, minimum=1)
        # doc: an existing group_name adds the tags to that group
        group = next((g for g in state.tag_groups.values() if g.group_name == name), None)
        if group is None:
            order = as_int(ctx.body.get("order"), "order", default=0)
            group = TagGroup(state.new_id("et", 32), name, int(ctx.now), order)
    existing = {state.tags[t].name for t in group.tag_ids}
    names = [name for name, _ in new]
    if len(set(names)) != len(names) or existing.intersection(names):
        raise ApiError(40071)  # unconfirmed errcode for a duplicate tag name in one group
    if len(state.tags) + len(new) > MAX_CORP_TAGS:
        raise ApiError(40126)
    state.tag_groups.setdefault(group.group_id, group)
    created = []
    for name, order in new:
        tag = Tag(state.new_id("et", 32), name, group.group_id, int(ctx.now), order)
        state.tags[tag.id] = tag
        group.tag_ids.append(tag.id)
        created.append(tag)
    return {"tag_group": _group_json(group, created)}


@router.route("externalcontact/mark_tag")
async def mark_tag(ctx: Ctx) -> JsonDict:
    state = ctx.state
    userid = as_str(ctx.body.get("userid"), "userid")
    external_userid = as_str(ctx.body.get("external_userid"), "external_userid")
    if not userid:
        raise ApiError(41009)
    if userid not in state.staff:
        raise ApiError(40003)
    if not external_userid:
        raise ApiError(41035)
    if external_userid not in state.contacts:
        raise ApiError(40096)
    follow = state.follow(userid, external_userid)
    if follow is None:
        raise ApiError(84061)
    add = str_list(ctx.body.get("add_tag"), "add_tag")
    remove = str_list(ctx.body.get("remove_tag"), "remove_tag")
    if not add and not remove:
        raise invalid("add_tag", "and remove_tag are both empty")  # unconfirmed errcode
    for tag_id in add + remove:
        if tag_id not in state.tags:
            raise ApiError(40068, f"invalid tagid {tag_id[:32]}")
    for tag_id in add:
        if tag_id not in follow.tag_ids:
            follow.tag_ids.append(tag_id)
    follow.tag_ids = [t for t in follow.tag_ids if t not in remove]
    return {}
