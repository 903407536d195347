"""Settings from `SCRM_*` keys (the environment or a TOML file: see `bot.config_file`).

Every problem is reported as one `ConfigError` naming the key and what is wrong, so start-up
fails with a single readable line instead of a traceback.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.errors import UserError
from bot.storage.url import RedisUrlError, parse_redis_url

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
DEFAULT_OAUTH_AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
# WeCom's web login (扫码登录, doc 98151/98152), for the console in a desktop browser
DEFAULT_WEB_LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
LOG_FORMATS = ("text", "json")  # SCRM_LOG_FORMAT; bot.logs formats them

_TOKEN_RE = re.compile(r"[A-Za-z0-9]{1,32}")
_CORP_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_USER_ID_RE = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ConfigError(UserError, ValueError):
    """A configuration value is missing or invalid; `key` names it."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """How the event pipeline consumes, retries and reclaims."""

    concurrency: int = 64  # events in the urgent lane at once (a slow admin command holds one)
    max_attempts: int = 5
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 30.0
    reclaim_idle_seconds: float = 60.0
    handler_timeout_seconds: float = 30.0
    block_ms: int = 1000
    shutdown_grace_seconds: float = 10.0
    forget_consumer_after_seconds: float = 3600.0

    def __post_init__(self) -> None:
        # A handler still running when its event counts as abandoned would run twice.
        if self.reclaim_idle_seconds <= self.handler_timeout_seconds:
            raise ValueError("reclaim_idle_seconds must exceed handler_timeout_seconds")
        if self.retry_max_seconds < self.retry_base_seconds:
            raise ValueError("retry_max_seconds must be at least retry_base_seconds")


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated configuration of one bot process.

    Its repr leaves out every secret and the Redis URL (which may hold a password), so a
    Settings that ends up in a log line, an error or a test report shows none of them.
    """

    corp_id: str
    token: str = field(repr=False)
    aes_key: str = field(repr=False)
    agent_id: int
    agent_secret: str = field(repr=False)
    contact_secret: str = field(repr=False)
    redis_url: str | None = field(default=None, repr=False)
    wecom_api_base: str = DEFAULT_API_BASE
    public_url: str = "http://127.0.0.1:8080"
    oauth_authorize_url: str = DEFAULT_OAUTH_AUTHORIZE_URL  # tests and the demo: the sandbox
    web_login_url: str = DEFAULT_WEB_LOGIN_URL  # the same
    admins: frozenset[str] = frozenset()
    admin_departments: frozenset[int] = frozenset()  # their members are admins too
    admin_tags: frozenset[int] = frozenset()  # WeCom contact tags (标签) whose members are admins
    console_viewers: frozenset[str] = frozenset()  # may read the console's dashboard, not change
    data_dir: Path = Path("scrm-data")
    key_prefix: str = "scrm"
    dedup_window_seconds: int = 600
    max_body_bytes: int = 64 * 1024
    digest_hour: int = 9  # corp time; the daily digest of welcome failures goes to admins then
    ingest_secret: str = field(default="", repr=False)  # HMAC key of /ingest/*; "" = off
    rfm_window_days: int = 365  # orders counted for frequency and monetary value
    rfm_hour: int = 3  # corp time; RFM segments are recomputed (and synced as tags) daily then
    log_format: str = "text"  # text (time LEVEL logger: message) or json (one object a line)
    # how many mass messages a customer or group may receive: days-in-month a month (WeCom's
    # default), 7 a week, or 1 a day, as the corp's admin set it in WeCom
    mass_quota: str = "month"
    # the chat archive (会话存档): Tencent's SDK file, the archive app's secret, a directory of
    # private keys by version ("<ver>.pem"), and how long archived messages are kept
    archive_sdk: Path | None = None
    archive_secret: str = field(default="", repr=False)
    archive_keys: Path | None = None
    archive_retention_days: int = 180
    archive_media_max_mb: int = 20  # the largest archived file an admin can open
    # a connection must send a request's headers within this (idle keep-alive ends then too)
    header_timeout_seconds: int = 10
    # /metrics answers only "Bearer <token>" ("" = anyone), and only on this port (0 = the
    # public one; set, the public port answers 404 for it)
    metrics_token: str = field(default="", repr=False)
    metrics_port: int = 0
    domain_verify_file: Path | None = None  # WeCom's WW_verify_*.txt, served at the root
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)


# key -> (attribute, required)
_KEYS: dict[str, tuple[str, bool]] = {
    "SCRM_CORP_ID": ("corp_id", True),
    "SCRM_TOKEN": ("token", True),
    "SCRM_AES_KEY": ("aes_key", True),
    "SCRM_AGENT_ID": ("agent_id", True),
    "SCRM_AGENT_SECRET": ("agent_secret", True),
    "SCRM_CONTACT_SECRET": ("contact_secret", False),
    "SCRM_REDIS_URL": ("redis_url", False),
    "SCRM_WECOM_API_BASE": ("wecom_api_base", False),
    "SCRM_PUBLIC_URL": ("public_url", False),
    "SCRM_OAUTH_AUTHORIZE_URL": ("oauth_authorize_url", False),
    "SCRM_WEB_LOGIN_URL": ("web_login_url", False),
    "SCRM_ADMINS": ("admins", False),
    "SCRM_ADMIN_DEPARTMENTS": ("admin_departments", False),
    "SCRM_ADMIN_TAGS": ("admin_tags", False),
    "SCRM_CONSOLE_VIEWERS": ("console_viewers", False),
    "SCRM_DATA_DIR": ("data_dir", False),
    "SCRM_KEY_PREFIX": ("key_prefix", False),
    "SCRM_DEDUP_WINDOW": ("dedup_window_seconds", False),
    "SCRM_DIGEST_HOUR": ("digest_hour", False),
    "SCRM_INGEST_SECRET": ("ingest_secret", False),
    "SCRM_RFM_WINDOW_DAYS": ("rfm_window_days", False),
    "SCRM_RFM_HOUR": ("rfm_hour", False),
    "SCRM_LOG_FORMAT": ("log_format", False),
    "SCRM_MASS_QUOTA": ("mass_quota", False),
    "SCRM_ARCHIVE_SDK": ("archive_sdk", False),
    "SCRM_ARCHIVE_SECRET": ("archive_secret", False),
    "SCRM_ARCHIVE_KEYS": ("archive_keys", False),
    "SCRM_ARCHIVE_RETENTION_DAYS": ("archive_retention_days", False),
    "SCRM_ARCHIVE_MEDIA_MAX_MB": ("archive_media_max_mb", False),
    "SCRM_HEADER_TIMEOUT": ("header_timeout_seconds", False),
    "SCRM_METRICS_TOKEN": ("metrics_token", False),
    "SCRM_METRICS_PORT": ("metrics_port", False),
    "SCRM_DOMAIN_VERIFY_FILE": ("domain_verify_file", False),
    "SCRM_PIPELINE_CONCURRENCY": ("concurrency", False),
    "SCRM_PIPELINE_MAX_ATTEMPTS": ("max_attempts", False),
}
KNOWN_KEYS = tuple(_KEYS)


def settings_from_mapping(raw: Mapping[str, Any]) -> Settings:
    """Validate a mapping of `SCRM_*` keys into `Settings`."""
    values: dict[str, Any] = {}
    missing: list[str] = []
    for key, (_, required) in _KEYS.items():
        value = raw.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if required:
                missing.append(key)
            continue
        values[key] = value
    if missing:  # every one at once: a newcomer fixes them in one go, not one per run
        raise ConfigError("、".join(missing), "必须设置，但当前为空（环境变量或配置文件中）")

    agent_secret = _secret("SCRM_AGENT_SECRET", values["SCRM_AGENT_SECRET"])
    contact_secret = values.get("SCRM_CONTACT_SECRET")
    pipeline = PipelineSettings(
        concurrency=_int(
            "SCRM_PIPELINE_CONCURRENCY", values.get("SCRM_PIPELINE_CONCURRENCY", 64), 1, 1024
        ),
        max_attempts=_int(
            "SCRM_PIPELINE_MAX_ATTEMPTS", values.get("SCRM_PIPELINE_MAX_ATTEMPTS", 5), 1, 100
        ),
    )
    return Settings(
        corp_id=_match("SCRM_CORP_ID", values["SCRM_CORP_ID"], _CORP_ID_RE, " 字母、数字、_ 或 -"),
        token=_match(
            "SCRM_TOKEN", values["SCRM_TOKEN"], _TOKEN_RE, " 1-32 位字母或数字", secret=True
        ),
        aes_key=_aes_key(values["SCRM_AES_KEY"]),
        agent_id=_int("SCRM_AGENT_ID", values["SCRM_AGENT_ID"], 1, 2**31 - 1),
        agent_secret=agent_secret,
        contact_secret=(
            _secret("SCRM_CONTACT_SECRET", contact_secret) if contact_secret else agent_secret
        ),
        redis_url=_redis_url(values["SCRM_REDIS_URL"]) if "SCRM_REDIS_URL" in values else None,
        wecom_api_base=_http_url(
            "SCRM_WECOM_API_BASE", values.get("SCRM_WECOM_API_BASE", DEFAULT_API_BASE)
        ),
        public_url=_http_url(
            "SCRM_PUBLIC_URL", values.get("SCRM_PUBLIC_URL", "http://127.0.0.1:8080")
        ),
        oauth_authorize_url=_http_url(
            "SCRM_OAUTH_AUTHORIZE_URL",
            values.get("SCRM_OAUTH_AUTHORIZE_URL", DEFAULT_OAUTH_AUTHORIZE_URL),
        ),
        web_login_url=_http_url(
            "SCRM_WEB_LOGIN_URL", values.get("SCRM_WEB_LOGIN_URL", DEFAULT_WEB_LOGIN_URL)
        ),
        admins=_admins(values.get("SCRM_ADMINS", "")),
        console_viewers=_admins(values.get("SCRM_CONSOLE_VIEWERS", ""), "SCRM_CONSOLE_VIEWERS"),
        admin_departments=_departments(values.get("SCRM_ADMIN_DEPARTMENTS", "")),
        admin_tags=_tag_ids(values.get("SCRM_ADMIN_TAGS", "")),
        data_dir=Path(str(values.get("SCRM_DATA_DIR", "scrm-data"))).expanduser(),
        key_prefix=_match(
            "SCRM_KEY_PREFIX",
            values.get("SCRM_KEY_PREFIX", "scrm"),
            _PREFIX_RE,
            " 字母、数字、_ . 或 -",
        ),
        dedup_window_seconds=_int(
            "SCRM_DEDUP_WINDOW", values.get("SCRM_DEDUP_WINDOW", 600), 30, 86400
        ),
        digest_hour=_int("SCRM_DIGEST_HOUR", values.get("SCRM_DIGEST_HOUR", 9), 0, 23),
        ingest_secret=_ingest_secret(values.get("SCRM_INGEST_SECRET", "")),
        rfm_window_days=_int(
            "SCRM_RFM_WINDOW_DAYS", values.get("SCRM_RFM_WINDOW_DAYS", 365), 1, 3660
        ),
        rfm_hour=_int("SCRM_RFM_HOUR", values.get("SCRM_RFM_HOUR", 3), 0, 23),
        log_format=_choice("SCRM_LOG_FORMAT", values.get("SCRM_LOG_FORMAT", "text"), LOG_FORMATS),
        mass_quota=_choice(
            "SCRM_MASS_QUOTA", values.get("SCRM_MASS_QUOTA", "month"), ("month", "week", "day")
        ),
        archive_sdk=_optional_path(values.get("SCRM_ARCHIVE_SDK", "")),
        archive_secret=_secret("SCRM_ARCHIVE_SECRET", values.get("SCRM_ARCHIVE_SECRET", "")),
        archive_keys=_optional_path(values.get("SCRM_ARCHIVE_KEYS", "")),
        archive_retention_days=_int(
            "SCRM_ARCHIVE_RETENTION_DAYS", values.get("SCRM_ARCHIVE_RETENTION_DAYS", 180), 1, 3660
        ),
        archive_media_max_mb=_int(
            "SCRM_ARCHIVE_MEDIA_MAX_MB", values.get("SCRM_ARCHIVE_MEDIA_MAX_MB", 20), 1, 200
        ),
        header_timeout_seconds=_int(
            "SCRM_HEADER_TIMEOUT", values.get("SCRM_HEADER_TIMEOUT", 10), 1, 300
        ),
        metrics_token=_metrics_token(values.get("SCRM_METRICS_TOKEN", "")),
        domain_verify_file=_verify_file(values.get("SCRM_DOMAIN_VERIFY_FILE", "")),
        metrics_port=_int("SCRM_METRICS_PORT", values.get("SCRM_METRICS_PORT", 0), 0, 65535),
        pipeline=pipeline,
    )


def _match(
    key: str, value: Any, pattern: re.Pattern[str], what: str, *, secret: bool = False
) -> str:
    text = str(value)
    if not pattern.fullmatch(text):
        # a secret's wrong value is close to the right one: say only how long it is
        shown = f"{len(text)} 个字符" if secret else f"为 {text[:40]!r}"
        raise ConfigError(key, f"应为{what}（当前{shown}）")
    return text


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ConfigError(key, f"应为 {' 或 '.join(choices)}（当前为 {str(value)[:40]!r}）")
    return text


def _secret(key: str, value: Any) -> str:
    text = str(value)
    if any(ch.isspace() for ch in text) or len(text) > 128:
        raise ConfigError(key, "应为企业微信管理后台显示的 Secret，不能含空格")
    return text


def _optional_path(value: Any) -> Path | None:
    text = str(value or "").strip()
    return Path(text).expanduser() if text else None


def _ingest_secret(value: Any) -> str:
    text = str(value)
    if text and (len(text) < 32 or len(text) > 256 or any(ch.isspace() for ch in text)):
        raise ConfigError("SCRM_INGEST_SECRET", "应为 32–256 个字符、不含空格的随机串")
    return text


def _metrics_token(value: Any) -> str:
    text = str(value)
    if text and (len(text) < 16 or len(text) > 256 or not text.isascii() or " " in text):
        raise ConfigError("SCRM_METRICS_TOKEN", "应为 16–256 个不含空格的 ASCII 字符")
    return text


def _int(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ConfigError(key, f"应为整数（当前为 {value!r}）")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(key, f"应为整数（当前为 {str(value)[:40]!r}）") from None
    if not low <= number <= high:
        raise ConfigError(key, f"应在 {low} 到 {high} 之间（当前为 {number}）")
    return number


def _aes_key(value: Any) -> str:
    text = str(value)
    if len(text) != 43:
        raise ConfigError("SCRM_AES_KEY", f"应为 43 个字符（当前 {len(text)} 个）")
    try:
        key = base64.b64decode(text + "=", validate=True)
    except binascii.Error:
        raise ConfigError("SCRM_AES_KEY", "只能包含 base64 字符 A-Z a-z 0-9 + /") from None
    if len(key) != 32:  # pragma: no cover - 43 valid chars always decode to 32 bytes
        raise ConfigError("SCRM_AES_KEY", "无法解码为 32 字节的密钥")
    return text


def _http_url(key: str, value: Any) -> str:
    text = str(value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(key, f"应为 http:// 或 https:// 开头的地址（当前为 {text[:60]!r}）")
    return text


def _redis_url(value: Any) -> str:
    text = str(value)
    try:  # one server, redis+sentinel:// or redis+cluster:// (see bot/storage/url.py)
        parse_redis_url(text)
    except RedisUrlError as exc:
        raise ConfigError("SCRM_REDIS_URL", str(exc)) from None
    return text


def _departments(value: Any) -> frozenset[int]:
    return _ids("SCRM_ADMIN_DEPARTMENTS", value, "部门 ID（正整数）", lowest=1)


def _tag_ids(value: Any) -> frozenset[int]:
    return _ids("SCRM_ADMIN_TAGS", value, "标签 ID（非负整数）", lowest=0)


def _ids(key: str, value: Any, what: str, *, lowest: int) -> frozenset[int]:
    """Comma-separated (or TOML list of) ids, each an ASCII number of at least `lowest`."""
    items = value if isinstance(value, list) else str(value).split(",")
    found: set[int] = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isascii() or not text.isdigit() or int(text) < lowest:
            raise ConfigError(key, f"{text!r} 不是{what}")
        found.add(int(text))
    return frozenset(found)


def _admins(value: Any, key: str = "SCRM_ADMINS") -> frozenset[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    admins = frozenset(str(item).strip() for item in items if str(item).strip())
    for user_id in admins:
        if not _USER_ID_RE.fullmatch(user_id):
            raise ConfigError(key, f"{user_id!r} 不是有效的企业微信成员账号")
    return admins


VERIFY_NAME = re.compile(r"WW_verify_[A-Za-z0-9]{1,64}\.txt")
MAX_VERIFY_BYTES = 1024


def _verify_file(value: Any) -> Path | None:
    """The trusted-domain verification file WeCom's admin console hands out, checked now so a
    typo shows at start, not when WeCom fetches it."""
    if not value:
        return None
    path = Path(str(value)).expanduser()
    key = "SCRM_DOMAIN_VERIFY_FILE"
    if not VERIFY_NAME.fullmatch(path.name):
        raise ConfigError(key, "文件名应是企业微信给的 WW_verify_xxxxxxxx.txt（不要改名）")
    try:
        size = path.stat().st_size
    except OSError:
        raise ConfigError(key, f"找不到文件 {path}") from None
    if not path.is_file() or size > MAX_VERIFY_BYTES:
        raise ConfigError(key, f"{path} 不是企业微信的校验文件（应为不超过 1 KiB 的文本文件）")
    return path
