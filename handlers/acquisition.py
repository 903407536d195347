"""Customer acquisition links: an add through one (its State `acq:<id>`, from the link's
`customer_channel`) counts for that link and day; WeCom saying the quota is low, used up or
about to expire, or a link unusable, tells the admins — once a day for each kind."""

from __future__ import annotations

from bot.acquisition.links import STATE_PREFIX
from bot.clock import corp_date
from bot.context import HandlerContext
from bot.events import AddExternalContact, CustomerAcquisition
from bot.routing import Router
from bot.wecom import WeComError

router = Router(name="handlers.acquisition")  # pinned: handler names are stored as done-marks

ALERTS = {
    "balance_low": "获客助手额度即将用完（不足 20 次）",
    "balance_exhausted": "获客助手额度已用完，获客链接将无法添加客户",
    "quota_expire_soon": "获客助手额度即将过期",
    "link_unavailable": "有获客链接不可用（可能成员已离职或不在范围内）",
}


def through_a_link(event: AddExternalContact, ctx: HandlerContext) -> bool:
    return event.state.startswith(STATE_PREFIX)


@router.on(AddExternalContact, through_a_link)
async def count_acquisition_add(event: AddExternalContact, ctx: HandlerContext) -> None:
    link_id = event.state.removeprefix(STATE_PREFIX)[:32]
    mark = ctx.delivery.entry_id or f"{event.external_userid}:{event.create_time}"
    await ctx.services.acquisition_links.count_add(mark, link_id, corp_date(event.create_time))


def alerting(event: CustomerAcquisition, ctx: HandlerContext) -> bool:
    return event.change_type in ALERTS


@router.on(CustomerAcquisition, alerting)
async def alert_acquisition_quota(event: CustomerAcquisition, ctx: HandlerContext) -> None:
    links = ctx.services.acquisition_links
    if not ctx.settings.admins or not await links.first_alert_today(
        event.change_type, corp_date(event.create_time)
    ):
        return
    text = f"【获客助手】{ALERTS[event.change_type]}。"
    try:
        quota = await ctx.wecom.acquisition.quota()
        text += f"剩余 {quota.get('balance', 0)} 次。"
    except WeComError as exc:  # the alert still goes
        ctx.log.warning("acquisition quota not read: %s", exc)
    if event.link_id:
        text += f"链接 {event.link_id[:40]}。"
    await ctx.wecom.message.send_text(
        sorted(ctx.settings.admins), text + "请在企业微信管理后台处理。"
    )
