"""The starter ad-law list catches claims, not everyday words: ordinary shop talk passes the
outgoing check (the one every send and save goes through), the claims are refused, and a corp
seeded with the first list (which had 最大, 唯一, 绝对… alone) is upgraded once, keeping what
admins filed elsewhere and saying so in the audit log."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.text.guard import BlockedText
from bot.text.library import WordLibrary
from bot.text.starter import FIRST_TERMS, seed_starter_words
from tests.helpers import outgoing_guard

# ordinary shop talk, written for this test: sizes, delivery, after-sales, prices, materials
SHOP_TALK = [
    "这款有最大码吗",
    "唯一的缺点是有点重",
    "绝对正品，假一赔十",
    "首选快递是顺丰",
    "永久会员卡怎么办理",
    "您最好先量一下腰围再选尺码",
    "这件最大能穿到一百六十斤",
    "最小号是S码",
    "最近天气冷，建议选加绒款",
    "我们最快明天就能发货",
    "最晚周五前送到",
    "最好用温水手洗，不要暴晒",
    "最多可以叠加两张优惠券",
    "最少起订量是五件",
    "唯一需要注意的是不能机洗",
    "首次下单送运费险",
    "首单立减十元",
    "首页有新品推荐",
    "会员积分永久有效吗？有效期是两年",
    "绝对不会让您吃亏的，放心",
    "极致轻薄是它的设计名，不是宣传语哦",
    "这款销量还不错，很多老客回购",
    "顶部的扣子可以拆下来",
    "至尊会员是我们的会员等级名称",
    "这个颜色很百搭",
    "面料是百分之百纯棉",
    "含棉量百分之九十五",
    "袖长五十八厘米，衣长七十厘米",
    "肩宽四十四，胸围一百一十",
    "鞋码偏大半码，建议拍小一码",
    "裤长可以免费改短",
    "发货后三天左右到",
    "偏远地区需要补运费",
    "今天下午四点前下单当天发",
    "快递是中通，也可以改顺丰",
    "顺丰到付需要补差价",
    "物流单号稍后发您",
    "包裹已经在派送了",
    "快递员会提前打电话",
    "签收前请先验货",
    "七天无理由退换货",
    "退货请在订单页点申请售后",
    "换货的话运费我们出",
    "质量问题我们承担来回运费",
    "退款一般三到五个工作日到账",
    "发票可以开电子普票",
    "需要专票请提供税号",
    "保修期一年，人为损坏不在保修范围",
    "有问题随时找我",
    "收到货满意的话给个好评哦",
    "价格是活动价，明天恢复原价",
    "满三百减五十",
    "第二件半价",
    "两件九折",
    "优惠券在领券中心领取",
    "这个价格已经是我们能给的最大优惠了",
    "会员价比日常价便宜二十",
    "今天下单有赠品",
    "赠品送完为止",
    "预售款下周二开始发货",
    "现货，下单就发",
    "库存只剩三件了",
    "这款是今年的新款",
    "老款已经停产了",
    "材质是真皮，头层牛皮",
    "里衬是聚酯纤维",
    "羽绒含量百分之九十白鸭绒",
    "充绒量两百克",
    "水洗不变形",
    "可以机洗，建议放洗衣袋",
    "不建议烘干",
    "熨烫请用中温",
    "颜色以实物为准，可能有轻微色差",
    "图片是实拍的",
    "模特身高一米七，穿M码",
    "这款版型偏修身",
    "宽松款，可以正常选码",
    "面料有弹力，穿着舒服",
    "透气性很好，夏天穿不闷",
    "厚度适中，春秋都能穿",
    "加厚款适合冬天",
    "这双鞋防滑耐磨",
    "鞋底是橡胶的",
    "鞋面是网面，透气",
    "包包容量很大，能放下笔记本",
    "肩带可以调节长度",
    "拉链是金属的，很顺滑",
    "五金不掉色",
    "有小票和防伪码",
    "支持专柜验货",
    "我们是品牌授权店",
    "保质期十八个月",
    "开封后请冷藏保存",
    "成分表在包装背面",
    "敏感肌可以先在耳后试用",
    "孕妇慎用",
    "一天两次，早晚各一次",
    "每次用量一颗黄豆大小",
    "这款香味很淡",
    "容量五十毫升",
    "有试用装可以先试试",
    "套装比单买划算",
    "送礼的话可以帮您包装",
    "贺卡可以写字",
    "请问您是送给谁的呢",
    "您平时穿什么码",
    "您的身高体重方便说一下吗",
    "好的，我帮您备注一下",
    "已经帮您改好地址了",
    "订单已经取消，款项原路退回",
    "稍等，我查一下库存",
    "这个问题我问一下仓库",
    "抱歉让您久等了",
    "感谢您的耐心",
    "祝您生活愉快",
    "有需要随时联系我",
    "晚上十点后回复可能慢一些",
    "周末也有人值班",
    "店铺地址在南京路",
    "门店营业时间是十点到十点",
]

CLAIMS = [
    "全网最低价，错过等一年",
    "这是国家级产品",
    "我们是最好的面霜",
    "效果最好的一款",
    "质量最好，没有之一",
    "全网最好用",
    "行业第一品牌",
    "销量第一的爆款",
    "全网第一",
    "全国第一家",
    "世界级工艺",
    "史上最低价",
    "秒杀全网同款",
    "全网唯一正品渠道",
    "唯一指定经销商",
    "独一无二的配方",
    "100%有效",
    "百分之百有效，无效退款",
    "绝对有效",
    "绝对安全无刺激",
    "零风险投资",
    "无副作用",
    "三天根治脱发",
    "包治百病",
    "特效药",
    "祖传秘方",
    "国家免检产品",
    "驰名商标",
    "全球领先技术",
    "最先进的工艺",
    "最受欢迎的款式",
    "首选品牌",
    "顶级品质",
    "史上最强",
]


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


def test_the_corpus_is_big_enough() -> None:
    assert len(SHOP_TALK) >= 100 and len(set(SHOP_TALK)) == len(SHOP_TALK)


async def test_ordinary_shop_talk_passes(redis: Redis, keys: RedisKeys) -> None:
    guard = await outgoing_guard(redis, keys)
    blocked = {}
    for sentence in SHOP_TALK:
        try:
            guard.check_outgoing(sentence)
        except BlockedText as exc:
            blocked[sentence] = [hit.word for hit in exc.hits]
    assert blocked == {}


@pytest.mark.parametrize("claim", CLAIMS)
async def test_claims_are_refused(claim: str, redis: Redis, keys: RedisKeys) -> None:
    guard = await outgoing_guard(redis, keys)
    with pytest.raises(BlockedText) as caught:
        guard.check_outgoing(claim)
    assert all(hit.category == "ad_law" for hit in caught.value.hits)


async def test_a_corp_seeded_with_the_first_list_is_upgraded_once(
    redis: Redis, keys: RedisKeys
) -> None:
    library = WordLibrary(redis, keys)
    await redis.set(keys.words_seeded, "1")
    await library.add((n, term, "ad_law") for n, term in enumerate(FIRST_TERMS, 1))
    await library.add([(1, "唯一", "custom"), (2, "竞品甲", "competitor")])  # admins' own
    assert await seed_starter_words(redis, keys) is True
    words = dict((await library.snapshot()).words)
    assert "最大" not in words and "绝对" not in words and "首选" not in words
    assert words["唯一"] == "custom" and words["竞品甲"] == "competitor"  # not ad-law: kept
    assert words["全网最低"] == "ad_law" and words["最好的"] == "ad_law"
    [entry] = await AuditLog(redis, keys).latest(5)
    assert entry.how == "系统升级" and "最大" in entry.summary
    assert await seed_starter_words(redis, keys) is False  # once
    assert len(await AuditLog(redis, keys).latest(5)) == 1
