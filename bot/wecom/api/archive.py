"""The chat archive's server API (会话内容存档) with the archive app's own secret: who agreed
to be archived (`msgaudit/check_single_agree` and `check_room_agree`, doc 91782). The messages
themselves come through Tencent's C SDK (`bot.archive.sdk`), not HTTP."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI

AGREED = ("Agree", "Default_Agree")
# check_room_agree's vote_status: 1 agreed, 2 refused (doc 91782, as remembered: unconfirmed
# against a real corp); 3 is read as a default agreement like check_single_agree's Default_Agree
ROOM_AGREED = (1, 3)


class ArchiveAPI(BaseAPI):
    """msgaudit/check_single_agree and check_room_agree."""

    async def agreed(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """(member, customer) -> whether the customer agreed to archiving (≤ 100 a call)."""
        out: dict[tuple[str, str], bool] = {}
        for start in range(0, len(pairs), 100):
            chunk = pairs[start : start + 100]
            info = [{"userid": u, "exteranalopenid": c} for u, c in chunk]  # WeCom's spelling
            data = await self._post("msgaudit/check_single_agree", {"info": info})
            for row in data.get("agreeinfo", []):
                pair = (str(row.get("userid", "")), str(row.get("exteranalopenid", "")))
                out[pair] = str(row.get("agree_status", "")) in AGREED
        return out

    async def room_agreed(self, roomid: str) -> set[str]:
        """The customers (external ids) who agreed to archiving in one group."""
        data = await self._post("msgaudit/check_room_agree", {"roomid": roomid})
        return {
            str(vote.get("voter_ucid", ""))
            for vote in data.get("voteinfo", [])
            if isinstance(vote, dict) and _int(vote.get("vote_status")) in ROOM_AGREED
        }


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
