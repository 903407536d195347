"""Personal codes: a participant's own 联系我 code for one activity, made in WeCom once and
reused for as long as the activity runs. WeCom keeps at most 500,000 contact-way configs per
corp (shared with channel codes and group live codes), so codes are made only for those who
join, and deleted once the activity has ended (`retire`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.fission.model import Activity, FissionError, state_of
from bot.fission.poster import poster_png
from bot.fission.store import FissionStore
from bot.media import MediaLibrary
from bot.wecom import WeComClient, WeComError
from bot.wecom.images import ImageUnavailable

SINGLE, MULTI, QR = 1, 2, 2  # contact way type (one member / several), scene (QR code)
log = logging.getLogger(__name__)


async def join(
    store: FissionStore, activity: Activity, external_userid: str, wecom: WeComClient
) -> dict[str, Any]:
    """The participant's personal code (made now if they have none): a 联系我 code for a
    friends goal, a group live code over the activity's groups for a group goal; config_id,
    qr_code, state, joined_at. Refused outside the activity's window."""
    known = await store.participant(activity.id, external_userid)
    if known is not None:
        return known
    now = int(time.time())
    if not activity.open_at(now):
        raise FissionError(
            f"活动「{activity.name}」不在进行中（{activity.start} 至 {activity.end}）"
        )
    state = state_of(activity.id, external_userid)
    remark = f"裂变{activity.id}"[:30]
    api, groups = wecom.external_contact, wecom.group_join
    if activity.in_groups:  # a group live code over the activity's groups
        config_id = await groups.add(
            scene=QR, remark=remark, auto_create_room=0, chat_id_list=activity.chat_ids, state=state
        )
        qr_code = str((await groups.get(config_id)).get("qr_code", ""))
    else:
        made = await api.add_contact_way(
            type=MULTI if len(activity.staff) > 1 else SINGLE,
            scene=QR,
            state=state,
            user=list(activity.staff),
            skip_verify=True,
            remark=remark,
        )
        config_id, qr_code = str(made["config_id"]), str(made.get("qr_code", ""))
    code = {"config_id": config_id, "qr_code": qr_code, "state": state, "joined_at": now}
    await store.add_participant(activity.id, external_userid, state, code)
    return code


async def retire(store: FissionStore, activity: Activity, wecom: WeComClient) -> int:
    """Delete the personal codes of an activity that has ended; returns how many went."""
    gone = 0
    for who, code in (await store.participants(activity.id)).items():
        if code.get("retired"):
            continue
        try:
            if activity.in_groups:
                await wecom.group_join.delete(str(code["config_id"]))
            else:
                await wecom.external_contact.del_contact_way(str(code["config_id"]))
        except WeComError as exc:  # the next round tries again
            log.warning("fission %s: code of %s not deleted: %s", activity.id, who, exc)
            continue
        await store.add_participant(activity.id, who, str(code["state"]), code | {"retired": True})
        gone += 1
    return gone


async def personal_poster(
    store: FissionStore,
    activity: Activity,
    external_userid: str,
    wecom: WeComClient,
    media: MediaLibrary,
    name: str,
) -> bytes:
    """The participant's poster PNG: their personal code (made now if needed) on the
    activity's background, with `name` (the customer's, as staff know them) and its text."""
    code = await join(store, activity, external_userid, wecom)
    background = await media.content(activity.poster_ref)
    if background is None:
        raise FissionError("海报背景图片已不在库中，请重新上传并保存活动")
    try:
        qr, _kind = await wecom.transport.image(str(code["qr_code"]))
    except ImageUnavailable as exc:
        raise FissionError(f"个人二维码图片暂时取不到：{exc}") from None
    return await poster_png(background, qr, name, activity.poster_text)
