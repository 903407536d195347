"""Every admin command as data: its words, arguments, usage line and help — the one source for
the parser, `帮助` and docs/admin-commands.md."""

from __future__ import annotations

from bot.admin.grammar import Grammar, Noun, Spec

NOUNS = [
    Noun("script", ("话术", "script", "scripts"), "话术"),
    Noun("word", ("敏感词", "word", "words"), "敏感词"),
    Noun("tagrule", ("标签规则", "tagrule", "tagrules"), "标签规则"),
    Noun("welcome", ("欢迎语", "welcome"), "欢迎语"),
    Noun("sop", ("SOP", "sop"), "SOP"),
    Noun("stats", ("统计", "stats"), "统计"),
    Noun("audit", ("审计", "audit"), "审计"),
    Noun("undo", ("撤销", "undo"), "撤销"),
    Noun("confirm", ("确认", "confirm"), "确认"),
    Noun("next", ("下一页", "next"), "下一页"),
    Noun("help", ("帮助", "help", "?", "？"), "帮助"),
]

SCRIPT_FIELDS = ("内容", "标题", "分类", "content", "title", "category")

SPECS = [
    Spec(
        "script",
        "add",
        ("新增", "添加", "add"),
        ("category", "title", "text"),
        usage="话术 新增 售后/退货 | 退货流程 | 亲，七天无理由退货…",
        help="新增一条话术：分类（用 / 分级）| 标题 | 内容（可多行）。",
        pipe=True,
        changes=True,
    ),
    Spec(
        "script",
        "search",
        ("搜索", "查找", "search"),
        ("query",),
        usage="话术 搜索 退货",
        help="按关键词搜索话术（拼音首字母也行），列出编号。",
    ),
    Spec(
        "script",
        "show",
        ("查看", "show"),
        ("id",),
        usage="话术 查看 <编号>",
        help="看一条话术的全部内容和版本。",
    ),
    Spec(
        "script",
        "edit",
        ("修改", "edit"),
        ("id", "field", "value"),
        usage="话术 修改 <编号> 内容 <新内容>",
        choices={1: SCRIPT_FIELDS},
        help="改一条话术的内容、标题或分类；旧版本留在历史里。",
        changes=True,
    ),
    Spec(
        "script",
        "delete",
        ("删除", "delete"),
        ("id",),
        usage="话术 删除 <编号>",
        help="删除一条话术（要确认；可撤销，也可从历史恢复）。",
        changes=True,
        destructive=True,
    ),
    Spec(
        "script",
        "history",
        ("历史", "history"),
        ("id",),
        usage="话术 历史 <编号>",
        help="列出一条话术的历史版本。",
    ),
    Spec(
        "script",
        "restore",
        ("恢复", "restore"),
        ("id", "version"),
        usage="话术 恢复 <编号> <版本>",
        help="把话术恢复到某个历史版本（存为新版本）。",
        changes=True,
    ),
    Spec(
        "script",
        "replace",
        ("替换", "replace"),
        ("old", "new"),
        usage="话术 替换 <旧文本> | <新文本>",
        help="把标题或内容含旧文本的话术一起改掉（要确认；每条存为新版本；一次「撤销」全部改回）。",
        pipe=True,
        changes=True,
        destructive=True,
    ),
    Spec(
        "word",
        "add",
        ("新增", "添加", "add"),
        ("category", "words"),
        usage="敏感词 新增 竞品 | 某某品牌 另一个词",
        help="按分类新增敏感词，多个词用空格或逗号分开。分类：竞品、辱骂、广告法、不文明、政治、迷信、行业、自定义。",
        pipe=True,
        changes=True,
    ),
    Spec(
        "word",
        "remove",
        ("删除", "remove", "delete"),
        ("words",),
        usage="敏感词 删除 某某品牌 另一个词",
        help="删除敏感词（要确认；可撤销）。",
        changes=True,
        destructive=True,
    ),
    Spec(
        "word",
        "allow",
        ("放行", "allow"),
        ("phrase",),
        usage="敏感词 放行 唯一的缺点",
        help="放行一个短语：短语里的词不再算命中（误拦时用；其他地方照常拦截；可撤销）。",
        changes=True,
    ),
    Spec(
        "word",
        "list",
        ("列表", "list"),
        ("category",),
        optional=1,
        usage="敏感词 列表 [分类]",
        help="列出敏感词（可只看一个分类）。",
    ),
    Spec(
        "word",
        "test",
        ("测试", "test"),
        ("text",),
        usage="敏感词 测试 <一段文字>",
        help="检查一段文字会命中哪些敏感词。",
    ),
    Spec(
        "tagrule",
        "list",
        ("列表", "list"),
        (),
        usage="标签规则 列表",
        help="列出自动打标签的规则。",
    ),
    Spec(
        "tagrule",
        "add",
        ("新增", "添加", "add"),
        ("name", "tag", "keywords"),
        usage="标签规则 新增 问价客户 | 意向/高意向 | 多少钱 价格 优惠",
        help="新增一条规则：客户消息含任一关键词就打上「标签组/标签」（更多条件用配置文件）。",
        pipe=True,
        changes=True,
    ),
    Spec(
        "tagrule",
        "test",
        ("测试", "test"),
        ("text",),
        usage="标签规则 测试 <客户的一句话>",
        help="看一句话会触发哪些标签规则。",
    ),
    Spec(
        "tagrule",
        "delete",
        ("删除", "delete"),
        ("id",),
        usage="标签规则 删除 <编号>",
        help="删除一条标签规则（要确认；可撤销）。",
        changes=True,
        destructive=True,
    ),
    Spec(
        "welcome",
        "list",
        ("列表", "list"),
        (),
        usage="欢迎语 列表",
        help="列出欢迎语模板和它们的适用范围。",
    ),
    Spec(
        "welcome",
        "show",
        ("查看", "show"),
        ("id",),
        usage="欢迎语 查看 <编号>",
        help="看一个欢迎语模板的全文。",
    ),
    Spec(
        "welcome",
        "add",
        ("新增", "添加", "add"),
        ("scope", "name", "text"),
        usage="欢迎语 新增 渠道 live2024 | 直播渠道 | 欢迎从直播间来的朋友！",
        help=(
            "新增欢迎语：范围（默认，或 渠道 <state>、员工 <账号>、部门 <部门ID>）| 名称 | 内容；"
            "每个范围一个；可撤销。"
        ),
        pipe=True,
        changes=True,
    ),
    Spec(
        "welcome",
        "edit",
        ("修改", "edit"),
        ("id", "text"),
        usage="欢迎语 修改 <编号> <新内容>",
        help=(
            "改欢迎语的文字；可撤销。含客户称呼变量的模板还需不含称呼的版本，"
            "请用 scrm-bot welcome 修改。"
        ),
        changes=True,
    ),
    Spec("sop", "list", ("列表", "list"), (), usage="SOP 列表", help="列出 SOP 规则和状态。"),
    Spec(
        "sop",
        "pause",
        ("暂停", "pause"),
        ("id",),
        usage="SOP 暂停 <编号>",
        help="暂停一条 SOP：暂停期间到期的步骤不发送。",
        changes=True,
    ),
    Spec(
        "sop",
        "resume",
        ("恢复", "启用", "resume"),
        ("id",),
        usage="SOP 恢复 <编号>",
        help="恢复一条暂停的 SOP。",
        changes=True,
    ),
    Spec(
        "stats",
        "",
        ("统计",),
        ("days",),
        optional=1,
        usage="统计 [天数]",
        help="最近几天（默认 7 天）的新增、流失、净增和 SOP 完成情况。",
    ),
    Spec(
        "audit",
        "",
        ("审计",),
        ("count",),
        optional=1,
        usage="审计 [条数]",
        help="最近的配置改动：谁、什么时候、改了什么。",
    ),
    Spec("undo", "", ("撤销",), (), usage="撤销", help="撤销您最近的一次改动。"),
    Spec(
        "confirm",
        "",
        ("确认",),
        ("code",),
        usage="确认 <确认码>",
        help="确认一个删除或替换操作（确认码 2 分钟内有效，错 5 次作废）。",
    ),
    Spec("next", "", ("下一页",), (), usage="下一页", help="长列表的下一页。"),
    Spec(
        "help",
        "",
        ("帮助",),
        ("topic",),
        optional=1,
        usage="帮助 [命令]",
        help="全部命令，或一个命令的用法。",
    ),
]

GRAMMAR = Grammar(NOUNS, SPECS)


def help_text(topic: str = "") -> str:
    """All commands (no topic), or the usage and help of one noun's commands."""
    if topic:
        noun = GRAMMAR.noun_of(topic)
        if noun is None:
            return f"没有「{topic}」这个命令。发送「帮助」看全部命令。"
        lines = [f"【{noun.title}】"]
        for spec in GRAMMAR.specs[noun.name]:
            lines.append(f"· {spec.usage}\n  {spec.help}")
        return "\n".join(lines)
    lines = ["管理命令（发送「帮助 话术」等看详细用法）："]
    for noun in GRAMMAR.nouns.values():
        verbs = "、".join(s.words[0] for s in GRAMMAR.specs[noun.name] if s.verb)
        lines.append(f"· {noun.title}" + (f"：{verbs}" if verbs else ""))
    lines.append("英文别名也可用，例如 script add / word test / help。")
    return "\n".join(lines)
