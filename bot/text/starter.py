"""A starter list of advertising-law absolute terms (广告法极限词), written for this project.

Article 9 of the PRC Advertising Law forbids "national-level", "highest-level", "best" and
similar absolute terms. These phrases are the common ones in product copy; single characters
like 最 alone would flag too much ordinary text, so only phrases are listed. Admins extend or
trim the list like any other words.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.keys import RedisKeys

AD_LAW_TERMS = (
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
)


async def seed_starter_words(redis: Redis, keys: RedisKeys) -> bool:
    """Add the starter list once per corp (the first process to start does it)."""
    if not await redis.set(keys.words_seeded, "1", nx=True):
        return False
    async with redis.pipeline(transaction=True) as tx:
        tx.hset(keys.words, mapping=dict.fromkeys(AD_LAW_TERMS, "ad_law"))
        tx.incr(keys.words_version)
        _, version = await tx.execute()
    await redis.publish(keys.words_changed, version)
    return True
