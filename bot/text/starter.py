"""A starter list of advertising-law claims (广告法极限词), written for this project.

Article 9 of the PRC Advertising Law forbids absolute claims: "national-level", "the best",
"the lowest price on the web". The list holds *claims*, not the characters they are made of:
最大, 唯一, 绝对, 首选 or 永久 alone are everyday words ("有最大码吗", "唯一的缺点是有点重",
"绝对正品", "首选快递是顺丰", "永久会员卡"), and a filter that blocks them stops staff answering
customers. So 最 and friends appear only inside the claim they make: 最好的, 全网最低, 效果最佳,
全网唯一, 绝对有效. Admins extend or trim the list like any other words.

The first version of this list (`FIRST_TERMS`) had the bare words. A corp seeded with it is
upgraded once (`seed_starter_words`): the bare words it still has *as ad-law words* go, the new
claims come, and the change is written to the audit log, so an admin who wanted a bare word sees
it went and adds it back in one command.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.keys import RedisKeys
from bot.text.library import WordLibrary

SEED_VERSION = "2"  # the words_seeded marker: "1" = FIRST_TERMS, "2" = AD_LAW_TERMS

AD_LAW_TERMS = (
    # level and rank
    "国家级",
    "世界级",
    "全球级",
    "宇宙级",
    "最高级",
    "第一品牌",
    "销量第一",
    "全国第一",
    "全网第一",
    "行业第一",
    "排名第一",
    "绝对第一",
    "冠军品牌",
    "领袖品牌",
    "领导品牌",
    "首选品牌",
    "全球领先",
    "世界领先",
    "遥遥领先",
    "顶级品牌",
    "顶尖品牌",
    "顶级品质",
    "王牌产品",
    "驰名商标",
    "中国驰名",
    # the best, the most
    "最好的",
    "效果最好",
    "质量最好",
    "全网最好",
    "全国最好",
    "世界最好",
    "最佳品质",
    "最佳效果",
    "效果最佳",
    "最先进",
    "最权威",
    "最高端",
    "最受欢迎",
    "最时尚",
    "最新科技",
    "全网最大",
    "全国最大",
    "世界最大",
    "全网最强",
    "史上最强",
    # price
    "最低价",
    "全网最低",
    "史上最低",
    "全网最便宜",
    "秒杀全网",
    # unique, first
    "全网唯一",
    "全国唯一",
    "国内唯一",
    "唯一指定",
    "独一无二",
    "全国首家",
    "史无前例",
    "前无古人",
    "绝无仅有",
    # guarantees and health claims
    "100%有效",
    "百分之百有效",
    "绝对有效",
    "绝对安全",
    "零风险",
    "无副作用",
    "根治",
    "包治百病",
    "药到病除",
    "特效药",
    "万能药",
    "国家免检",
    "质量免检",
    "无需国家质量检测",
    "祖传秘方",
)

# the first starter list, for the one-time upgrade of corps seeded with it
FIRST_TERMS = [
    "国家级",
    "世界级",
    "全球级",
    "宇宙级",
    "最高级",
    "最佳",
    "最好",
    "最优",
    "最大",
    "最强",
    "最低价",
    "最便宜",
    "最先进",
    "最权威",
    "最安全",
    "最高端",
    "最受欢迎",
    "最时尚",
    "最新科技",
    "第一品牌",
    "销量第一",
    "全国第一",
    "全网第一",
    "行业第一",
    "排名第一",
    "唯一",
    "独一无二",
    "首个",
    "首家",
    "首选",
    "全网最低",
    "全国首家",
    "史无前例",
    "前无古人",
    "绝无仅有",
    "顶级",
    "顶尖",
    "极品",
    "极致",
    "巅峰",
    "至尊",
    "王牌",
    "冠军品牌",
    "领袖品牌",
    "领导品牌",
    "全球领先",
    "世界领先",
    "遥遥领先",
    "百分之百",
    "100%有效",
    "绝对",
    "永久",
    "万能",
    "零风险",
    "无副作用",
    "根治",
    "包治百病",
    "药到病除",
    "特效",
    "国家免检",
    "驰名商标",
    "中国驰名",
    "质量免检",
    "无需国家质量检测",
    "祖传秘方",
    "秒杀全网",
    "史上最低",
    "错过就没",
]
RETIRED = tuple(term for term in FIRST_TERMS if term not in AD_LAW_TERMS)


async def seed_starter_words(redis: Redis, keys: RedisKeys) -> bool:
    """Add the starter list once per corp (the first process to start does it), or upgrade a
    corp seeded with the first list; returns whether the library changed."""
    library = WordLibrary(redis, keys)
    seeded = await library.seeded()
    if seeded == SEED_VERSION:
        return False
    if seeded is None:
        if not await library.claim_seed(SEED_VERSION):
            return False
        await library.replace_words(dict.fromkeys(AD_LAW_TERMS, "ad_law"), [])
        return True
    # seeded with the first list: one process upgrades (the marker's compare-and-set)
    if await library.swap_seed(SEED_VERSION) == SEED_VERSION:
        return False
    stored = await redis.hmget(keys.words, [*RETIRED, *AD_LAW_TERMS])
    now = dict(zip([*RETIRED, *AD_LAW_TERMS], stored, strict=True))
    retired = [term for term in RETIRED if now[term] == "ad_law"]  # kept unless still ad-law
    added = {term: "ad_law" for term in AD_LAW_TERMS if now[term] is None}
    if not retired and not added:
        return False
    await library.replace_words(added, retired)
    await AuditLog(redis, keys).record(
        "系统",
        "upgrade",
        "word.starter",
        "ad_law",
        f"广告法起始词表升级：移除单独的常用词 {len(retired)} 个（{'、'.join(retired[:12])}…），"
        f"新增宣传用语 {len(added)} 个；需要可用「敏感词 新增」加回",
        before=dict.fromkeys(retired, "ad_law"),
        after=added,
    )
    return True
