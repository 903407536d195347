"""Typed WeCom API errors, the errcodes the bot acts on by name, and what each documented
errcode means (the global errcode page, doc 90313)."""

from __future__ import annotations

from enum import IntEnum


class ErrCode(IntEnum):
    """The WeCom errcodes the bot acts on, by name (the global errcode page, doc 90313). An
    IntEnum compares equal to the number WeCom sends, so `exc.errcode == ErrCode.EXPIRED_CODE`."""

    TRANSPORT = -1000  # ours, not WeCom's: no JSON answer came back (timeout, 5xx, ...)
    BUSY = -1
    INVALID_SECRET = 40001
    INVALID_USERID = 40003
    INVALID_MEDIA_ID = 40007  # unknown media id (older than 3 days, or lost)
    INVALID_TOKEN = 40014
    INVALID_OAUTH_CODE = 40029
    INVALID_EXTERNAL_ID = 40050  # no such external contact / chat id
    INVALID_GROUP_WELCOME = 40058  # a group welcome template id WeCom no longer has
    INVALID_TAG = 40068
    INVALID_EXTERNAL_USERID = 40096
    CONTACT_WAY_GONE = 41044  # the sandbox's answer for an unknown config_id
    WELCOME_CODE_EXPIRED = 41050
    WELCOME_ALREADY_SENT = 41051
    WELCOME_CODE_PENDING = 41096
    TOKEN_EXPIRED = 42001
    RATE_LIMITED = 45009
    TOO_MANY_CONCURRENT = 45033
    NO_SUCH_USER = 46004
    NO_API_PERMISSION = 48002
    OUTSIDE_VISIBLE_RANGE = 60011
    IP_NOT_TRUSTED = 60020
    NO_SUCH_MEMBER = 60111
    NOT_A_CONTACT = 84061


TOKEN_ERRCODES = frozenset({ErrCode.INVALID_TOKEN, ErrCode.TOKEN_EXPIRED})
BACKOFF_ERRCODES = frozenset({ErrCode.BUSY, ErrCode.RATE_LIMITED, ErrCode.TOO_MANY_CONCURRENT})
TRANSPORT_ERRCODE = ErrCode.TRANSPORT
# nobody's contact (any more), or an id WeCom doesn't know: the customer is skipped, not retried
NOT_A_CONTACT = frozenset({ErrCode.NOT_A_CONTACT, ErrCode.INVALID_EXTERNAL_USERID})

# Plain-language explanations, shown by `scrm-bot doctor` and in logs.
EXPLANATIONS: dict[int, str] = {
    -1: "企业微信系统繁忙，稍后会自动重试。",
    40001: "Secret 不正确：请在企业微信管理后台核对应用或「客户联系」的 Secret，"
    "并确认没有多余空格。",
    40003: "成员账号（userid）无效：企业中没有这个成员。",
    40014: "access_token 无效，将自动刷新后重试一次。",
    40029: "OAuth2 code 无效或已使用：请重新打开侧边栏。",
    40093: "JS-SDK 签名错误：检查可信域名和签名所用的 URL。",
    40096: "external_userid 无效。",
    41001: "缺少 access_token。",
    41050: "欢迎语 code 已过期（只能在事件后 20 秒内使用）。",
    41051: "欢迎语已发送过或客户已开始聊天，不要重试。",
    41096: "欢迎语 code 正在分配中，可以稍后重试。",
    42001: "access_token 已过期，将自动刷新后重试一次。",
    42012: "agentConfig 使用了错误的 jsapi ticket。",
    45009: "调用频率超限，正在退避重试。",
    45033: "接口并发调用超限，正在退避重试。",
    48002: "该 Secret 没有这个接口的权限：请在管理后台把本应用加入「客户联系 → 可调用接口的应用」，"
    "或改用客户联系 Secret（SCRM_CONTACT_SECRET）。",
    50001: "OAuth2 回调域名不在应用的可信域名中。",
    60011: "目标成员不在应用的可见范围内。",
    60111: "企业中没有这个成员账号（userid）。",
    60020: "服务器出口 IP 不在企业可信 IP 列表中：请在应用详情 → 企业可信IP 中加入本机的出口 IP。",
    81013: "所有接收人都无效。",
    84061: "成员与该客户不存在外部联系人关系。",
    TRANSPORT_ERRCODE: "无法从企业微信取得有效应答（超时、网络错误或 HTTP 5xx）。",
}


def explain(errcode: int) -> str:
    """A plain-language explanation of an errcode, or a pointer to the docs."""
    return EXPLANATIONS.get(
        errcode,
        f"错误码 {errcode}：请查阅 https://developer.work.weixin.qq.com/devtool/query?e={errcode}",
    )


class WeComError(Exception):
    """A WeCom API call failed with `errcode` (non-zero) on `path`."""

    def __init__(self, errcode: int, errmsg: str, path: str) -> None:
        super().__init__(f"{path}: errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed (busy, rate-limited, no answer)."""
        return self.errcode in BACKOFF_ERRCODES or self.errcode in (
            TRANSPORT_ERRCODE,
            ErrCode.WELCOME_CODE_PENDING,
        )

    @property
    def explanation(self) -> str:
        return explain(self.errcode)


class WeComTransportError(WeComError):
    """No usable answer: timeout, connection failure, HTTP error status or a non-JSON body."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(TRANSPORT_ERRCODE, reason, path)
