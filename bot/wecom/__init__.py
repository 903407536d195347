"""The async WeCom API client (aiohttp) and its typed errors."""

from bot.wecom.client import WeComClient
from bot.wecom.errors import WeComError, WeComTransportError, explain
from bot.wecom.transport import ClientSettings

__all__ = ["ClientSettings", "WeComClient", "WeComError", "WeComTransportError", "explain"]
