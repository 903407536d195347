"""Customer acquisition links (获客助手, docs 97297, 97400): create_link, get, delete_link,
customer, and the quota. Each add through a link uses one of the corp's quota; under 20 left
WeCom sends `balance_low`, at none `balance_exhausted` and the link stops adding
(`Sandbox.customer_adds_via_link`). Errcodes the docs don't name are marked unconfirmed."""

from __future__ import annotations

from bot.sandbox.dispatch import Ctx, EndpointTable
from bot.sandbox.limits import ApiError, JsonDict, as_dict, as_str, invalid, max_chars, str_list
from bot.sandbox.state import AcquisitionLink

router = EndpointTable()

MAX_NAME = 30


def _link(ctx: Ctx) -> AcquisitionLink:
    link_id = as_str(ctx.body.get("link_id"), "link_id")
    link = ctx.state.acquisition_links.get(link_id)
    if link is None:
        raise ApiError(41098, "invalid link_id")  # unconfirmed errcode
    return link


@router.route("externalcontact/customer_acquisition/create_link")
async def create_link(ctx: Ctx) -> JsonDict:
    name = max_chars(ctx.body.get("link_name"), "link_name", MAX_NAME)
    if not name:
        raise invalid("link_name", "is empty")
    scope = as_dict(ctx.body.get("range"), "range")
    users = str_list(scope.get("user_list"), "range.user_list", 500)
    if not users:
        raise invalid("range", "needs user_list")  # departments aren't modelled here
    for user in users:
        if user not in ctx.state.staff:
            raise ApiError(40003, f"invalid userid {user[:64]}")
    link_id = "ca" + ctx.state.new_id("", 16).lower()
    host = ctx.sandbox.base_url or "https://work.weixin.qq.com"
    link = AcquisitionLink(
        link_id,
        name,
        f"{host}/ca/{link_id}",
        users,
        bool(ctx.body.get("skip_verify", True)),
        int(ctx.now),
    )
    ctx.state.acquisition_links[link_id] = link
    return {
        "link": {
            "link_id": link_id,
            "link_name": name,
            "url": link.url,
            "create_time": link.create_time,
        }
    }


@router.route("externalcontact/customer_acquisition/get")
async def get_link(ctx: Ctx) -> JsonDict:
    link = _link(ctx)
    return {
        "link": {
            "link_name": link.link_name,
            "url": link.url,
            "create_time": link.create_time,
            "skip_verify": link.skip_verify,
        },
        "range": {"user_list": list(link.users), "department_list": []},
    }


@router.route("externalcontact/customer_acquisition/delete_link")
async def delete_link(ctx: Ctx) -> JsonDict:
    del ctx.state.acquisition_links[_link(ctx).link_id]
    return {}


@router.route("externalcontact/customer_acquisition/customer")
async def customers(ctx: Ctx) -> JsonDict:
    link = _link(ctx)
    found = [
        {
            "external_userid": f.external_userid,
            "userid": f.userid,
            "chat_status": 0,
            "state": f.state,
        }
        for f in ctx.state.follows.values()
        if f.via_link == link.link_id
    ]
    return {"customer_list": found, "next_cursor": ""}


@router.route("externalcontact/customer_acquisition_quota")
async def quota(ctx: Ctx) -> JsonDict:
    state = ctx.state  # total: used ever; balance: left
    return {"total": state.acquisition_used, "balance": state.acquisition_balance, "quota_list": []}
