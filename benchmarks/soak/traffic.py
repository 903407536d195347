"""The callback mix of a soak run, sent open loop at a fixed rate through the sandbox's driver
(signed, encrypted, retried as WeCom does), and a record of every event sent."""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field

from bot.sandbox import Sandbox, ScenarioResult

# kind -> share of the events; a kind with nothing to act on yet (no customer old enough to
# delete, say) sends an add instead
MIX = {
    "add": 0.34,
    "del_follow_user": 0.04,
    "del_external_contact": 0.04,
    "group_join": 0.07,
    "group_leave": 0.05,
    "kf": 0.10,
    "kf_keyword": 0.16,
    "admin": 0.06,
    "staff_text": 0.04,
    "edit": 0.10,
}
KEYWORD_TEXTS = ("我想申请退款，怎么操作", "发票什么时候开", "有团购价吗", "退款到账了吗")
PLAIN_TEXTS = ("你好，请问几点发货", "好的谢谢", "在吗", "这个颜色还有货吗")
STAFF_TEXTS = ("收到", "今天的客户都跟进了", "下午开会")
DELETE_AFTER = 30.0  # only customers whose welcome window (20 s) is long over are deleted
RECENT = 60  # KF messages come from the latest customers, so keyword repeats happen
_CREATE_TIME = re.compile(r"<CreateTime>(\d+)</CreateTime>")


@dataclass
class Sent:
    """One callback: what it was, when it went out and how the bot answered."""

    n: int
    kind: str
    sent_at: float
    userid: str = ""
    customer: str = ""
    create_time: int = 0
    welcome_code: str = ""
    token: str = ""  # an admin command's unique word, found again in its answer
    msg_id: str = ""
    text: str = ""  # what a customer or an admin wrote
    statuses: list[int | None] = field(default_factory=list)
    done_at: float = 0.0
    reply: str = ""  # the passive reply, decrypted

    @property
    def acked(self) -> bool:
        return 200 in self.statuses


class Traffic:
    """Sends `rate` events a second for a while; `records` keeps every one."""

    def __init__(
        self,
        sandbox: Sandbox,
        staff: list[str],
        admin: str,
        groups: list[str],
        kf_account: str,
        *,
        rate: float,
        seed: int,
        tag: str,
    ) -> None:
        self.sandbox = sandbox
        self.staff = staff
        self.admin = admin
        self.groups = groups
        self.kf_account = kf_account
        self.rate = rate
        self.random = random.Random(seed)
        self.tag = tag
        self.records: list[Sent] = []
        self.active: list[tuple[str, str, float]] = []  # (staff, customer, added at)
        self.deleted: dict[str, float] = {}  # customer -> when the deletion was sent
        self.scripts: list[str] = []  # tokens of the scripts added by admin commands
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self, seconds: float) -> float:
        """Send for `seconds`; returns when the last event was sent (deliveries may go on)."""
        start = time.perf_counter()
        total = int(self.rate * seconds)
        for n in range(total):
            await asyncio.sleep(max(start + n / self.rate - time.perf_counter(), 0))
            kinds, weights = zip(*MIX.items(), strict=True)
            kind = self.random.choices(kinds, weights)[0]
            self._tasks.append(asyncio.create_task(self._send(n, kind)))
        return time.time()

    async def settle(self) -> None:
        """Wait for every delivery (with its retries) to finish."""
        await asyncio.gather(*self._tasks)

    async def _send(self, n: int, kind: str) -> None:
        record = Sent(n, kind, time.time())
        self.records.append(record)
        result = await self._scenario(record)
        if result.delivery is not None:
            record.statuses = result.delivery.statuses
        record.done_at = time.time()
        record.reply = result.passive_reply
        found = _CREATE_TIME.search(result.xml)
        record.create_time = int(found.group(1)) if found else 0

    async def _scenario(self, record: Sent) -> ScenarioResult:
        box, kind, now = self.sandbox, record.kind, time.time()
        old = [a for a in self.active if now - a[2] > DELETE_AFTER]
        if kind in ("del_follow_user", "del_external_contact", "edit") and old:
            staff, customer, _ = self.random.choice(old)
            record.userid, record.customer = staff, customer
            if kind == "edit":
                return await box.staff_edits_customer(staff, customer, remark=f"老客{record.n}")
            self.active = [a for a in self.active if a[1] != customer]
            self.deleted[customer] = now
            if kind == "del_follow_user":
                return await box.customer_deletes_staff(staff, customer)
            return await box.staff_deletes_customer(staff, customer)
        if kind in ("group_join", "group_leave", "kf", "kf_keyword") and self.active:
            staff, customer, _ = self.random.choice(self.active[-RECENT:])
            record.userid, record.customer = staff, customer
            if kind.startswith("kf"):
                texts = KEYWORD_TEXTS if kind == "kf_keyword" else PLAIN_TEXTS
                record.text = self.random.choice(texts)
                result = await box.kf_message(customer, record.text, self.kf_account)
                record.msg_id = result.msg_id
                return result
            chat = self.random.choice(self.groups)
            members = box.state.groups[chat].members
            if kind == "group_leave" and len(members) > 1:
                return await box.customer_leaves_group(chat, self.random.choice(members[1:]))
            record.kind = "group_join"
            return await box.customer_joins_group(chat, customer)
        if kind == "admin":
            return await self._admin(record)
        if kind == "staff_text":
            record.userid = self.random.choice(self.staff)
            return await box.staff_sends_text(record.userid, self.random.choice(STAFF_TEXTS))
        return await self._add(record)

    async def _add(self, record: Sent) -> ScenarioResult:
        record.kind = "add"
        record.userid = self.staff[record.n % len(self.staff)]
        record.customer = f"wmSoak{self.tag}{record.n:07d}"
        self.active.append((record.userid, record.customer, record.sent_at))
        result = await self.sandbox.customer_adds_staff(
            record.userid, record.customer, name=f"客户{record.n}"
        )
        record.welcome_code = result.welcome_code
        return result

    async def _admin(self, record: Sent) -> ScenarioResult:
        record.userid = self.admin
        if self.scripts and self.random.random() < 0.5:
            record.kind = "admin_search"  # each script searched once: every answer differs
            record.token = self.scripts.pop(self.random.randrange(len(self.scripts)))
            text = f"话术 搜索 {record.token}"
        else:
            record.kind = "admin_add"
            record.token = f"浸泡{self.tag}号{record.n:07d}"
            self.scripts.append(record.token)
            text = (
                f"话术 新增 浸泡测试/{self.tag} | {record.token} | 您好，这是{record.token}的内容"
            )
        record.text = text
        result = await self.sandbox.staff_sends_text(self.admin, text)
        record.msg_id = result.msg_id
        return result
