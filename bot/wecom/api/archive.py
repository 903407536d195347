"""The chat archive's server API (会话内容存档) with the archive app's own secret: who agreed
to be archived (`msgaudit/check_single_agree` and `check_room_agree`, doc 91782). The messages
themselves come through Tencent's C SDK (`bot.archive.sdk`), not HTTP."""

from __future__ import annotations

from bot.wecom.api.base import BaseAPI, number

AGREED = ("Agree", "Default_Agree")
# check_room_agree's vote_status: 1 agreed, 2 refused (doc 91782, as remembered: unconfirmed
# against a real corp); 3 is read as a default agreement like check_single_agree's Default_Agree
ROOM_AGREED = (1, 3)
MAX_PAIRS = 100  # check_single_agree's most pairs a call


class ArchiveAPI(BaseAPI):
    """msgaudit/check_single_agree and check_room_agree."""

    async def agreed(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """(member, customer) -> whether the customer agreed to archiving: one call, of at most
        `MAX_PAIRS` pairs (the caller splits, and decides what a refused call means)."""
        if len(pairs) > MAX_PAIRS:
            raise ValueError(f"check_single_agree takes at most {MAX_PAIRS} pairs a call")
        info = [{"userid": u, "exteranalopenid": c} for u, c in pairs]  # WeCom's spelling
        data = await self._post("msgaudit/check_single_agree", {"info": info})
        out: dict[tuple[str, str], bool] = {}
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
            if isinstance(vote, dict) and number(vote.get("vote_status")) in ROOM_AGREED
        }
