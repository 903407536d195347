"""Live previews of operator templates while they are typed (welcomes, scripts): the text as
the customer will see it (rendered for a sample customer and the signed-in admin), its bytes
against WeCom's limit, and the problem a save would refuse it for (syntax, unknown variables,
sensitive words as the library stands now).

Bounded like a save: the text is at most the command bound, its size is checked before it is
parsed, and rendering is the template language's own (bounded in time and output)."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from bot.admin.call import Call
from bot.appkeys import HANDLER_CONTEXT
from bot.clock import corp_now
from bot.templating.language import TemplateProblem
from bot.templating.render import render, text_problem
from console_web.session_keys import BODY_OF, SESSION_OF, ConsoleError, admin_session, ok

MAX_CHARS = 20_000
SAMPLE_CUSTOMER, SAMPLE_CHANNEL = "王小明", "春季海报"


async def preview(
    request: web.Request, what: str, variables: Iterable[str], limit: int
) -> web.Response:
    """`{"text": …}` → `{"bubble", "bytes", "limit", "problem"}` (problem "" when it would
    save); `what` names the text in messages (欢迎语, 话术)."""
    text = request[BODY_OF].get("text")
    if not isinstance(text, str):
        raise ConsoleError(400, f"请填写{what}内容")
    if len(text) > MAX_CHARS:
        raise ConsoleError(413, f"内容太长（超过 {MAX_CHARS} 个字）")
    allowed = tuple(variables)
    size = len(text.encode("utf-8"))
    answer = {"bubble": "", "bytes": size, "limit": limit, "problem": ""}
    if not text.strip():
        return ok(answer)
    ctx = request.config_dict[HANDLER_CONTEXT]
    session = admin_session(request)
    guard = await Call(ctx, session).guard()  # the library as it is now, as a save checks it
    problem = text_problem(text, allowed, limit, guard)
    if problem:
        answer["problem"] = what + problem if problem.startswith(("：", "共")) else problem
    if size <= limit:
        samples = {
            "customer_name": SAMPLE_CUSTOMER,
            "staff_name": request[SESSION_OF].name or request[SESSION_OF].userid,
            "channel_name": SAMPLE_CHANNEL,
            "date": corp_now().strftime("%Y-%m-%d"),
        }
        try:
            answer["bubble"] = render(
                text, {k: v for k, v in samples.items() if k in allowed}, allowed
            )
        except TemplateProblem:
            answer["bubble"] = ""
    return ok(answer)
