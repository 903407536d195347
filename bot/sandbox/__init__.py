"""A local emulator of the WeCom server APIs the bot uses, with encrypted callback delivery.

See `bot.sandbox.server.Sandbox`; tests use `create_sandbox_app`, the demo `Sandbox.start`.
"""

from bot.sandbox.driver import Attempt, CallbackDriver, Delivery, UrlCheck
from bot.sandbox.faults import Fault, FaultInjector
from bot.sandbox.recorder import Call, CallRecorder
from bot.sandbox.scenarios import ScenarioResult
from bot.sandbox.server import Sandbox, create_sandbox_app
from bot.sandbox.state import AppMessage, MassTask, Staff, WelcomeDelivery

__all__ = [
    "AppMessage",
    "Attempt",
    "Call",
    "CallRecorder",
    "CallbackDriver",
    "Delivery",
    "Fault",
    "FaultInjector",
    "MassTask",
    "Sandbox",
    "ScenarioResult",
    "Staff",
    "UrlCheck",
    "WelcomeDelivery",
    "create_sandbox_app",
]
