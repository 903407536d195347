"""externalcontact/get, corp tags, mark_tag and group welcome templates."""

from __future__ import annotations

from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api, text_of_bytes

TEMPLATES = "externalcontact/group_welcome_template"


async def test_get_returns_the_documented_shape(sandbox: Sandbox, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wmc", state="qr1", name="王小明")
    await sandbox.customer_adds_staff("lisi", "wmc")
    data = await contact_api.get("externalcontact/get", external_userid="wmc")
    assert data["errcode"] == 0
    profile = data["external_contact"]
    assert profile["external_userid"] == "wmc"
    assert profile["name"] == "王小明"
    assert {"avatar", "type", "gender", "unionid"} <= profile.keys()
    users = {f["userid"]: f for f in data["follow_user"]}
    assert set(users) == {"zhangsan", "lisi"}
    assert users["zhangsan"]["state"] == "qr1"
    assert users["zhangsan"]["tags"] == []
    assert {"remark", "description", "createtime", "add_way"} <= users["lisi"].keys()


async def test_get_errors(sandbox: Sandbox, contact_api: Api) -> None:
    assert (await contact_api.get("externalcontact/get"))["errcode"] == 41035
    unknown = await contact_api.get("externalcontact/get", external_userid="wmnobody")
    assert unknown["errcode"] == 40096
    await sandbox.customer_adds_staff("zhangsan", "wmgone")
    await sandbox.customer_deletes_staff("zhangsan", "wmgone")
    gone = await contact_api.get("externalcontact/get", external_userid="wmgone")
    assert gone["errcode"] == 84061


async def test_add_corp_tag_creates_and_extends_groups(contact_api: Api) -> None:
    first = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_name": "意向", "tag": [{"name": "高"}]}
    )
    assert first["errcode"] == 0
    group = first["tag_group"]
    assert group["group_id"].startswith("et")
    assert group["tag"][0]["id"].startswith("et")
    # an existing group name adds to that group; group_id does too
    more = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_name": "意向", "tag": [{"name": "中"}]}
    )
    assert more["tag_group"]["group_id"] == group["group_id"]
    by_id = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_id": group["group_id"], "tag": [{"name": "低"}]}
    )
    assert [t["name"] for t in by_id["tag_group"]["tag"]] == ["低"]
    listing = await contact_api.post("externalcontact/get_corp_tag_list", {})
    [only] = listing["tag_group"]
    assert [t["name"] for t in only["tag"]] == ["高", "中", "低"]
    duplicate = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_id": group["group_id"], "tag": [{"name": "高"}]}
    )
    assert duplicate["errcode"] == 40071
    unknown_group = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_id": "etnope", "tag": [{"name": "x"}]}
    )
    assert unknown_group["errcode"] == 40068


async def test_tag_name_is_at_most_30_characters(contact_api: Api) -> None:
    ok = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "标" * 30}]}
    )
    assert ok["errcode"] == 0
    bad = await contact_api.post(
        "externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "标" * 31}]}
    )
    assert bad["errcode"] == 40058
    assert "tag.name exceed max length 30" in bad["errmsg"]


async def test_get_corp_tag_list_filters(contact_api: Api) -> None:
    a = (
        await contact_api.post(
            "externalcontact/add_corp_tag",
            {"group_name": "A", "tag": [{"name": "a1"}, {"name": "a2"}]},
        )
    )["tag_group"]
    b = (
        await contact_api.post(
            "externalcontact/add_corp_tag", {"group_name": "B", "tag": [{"name": "b1"}]}
        )
    )["tag_group"]
    by_tag = await contact_api.post(
        "externalcontact/get_corp_tag_list", {"tag_id": [a["tag"][1]["id"]]}
    )
    assert [[t["name"] for t in g["tag"]] for g in by_tag["tag_group"]] == [["a2"]]
    by_group = await contact_api.post(
        "externalcontact/get_corp_tag_list",
        {"group_id": [b["group_id"]], "tag_id": [a["tag"][0]["id"]]},
    )
    assert [g["group_name"] for g in by_group["tag_group"]] == ["B"]


async def test_mark_tag(sandbox: Sandbox, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wmt")
    group = (
        await contact_api.post(
            "externalcontact/add_corp_tag",
            {"group_name": "兴趣", "tag": [{"name": "跑步"}, {"name": "瑜伽"}]},
        )
    )["tag_group"]
    run, yoga = (t["id"] for t in group["tag"])
    mark = {"userid": "zhangsan", "external_userid": "wmt", "add_tag": [run, yoga]}
    assert (await contact_api.post("externalcontact/mark_tag", mark))["errcode"] == 0
    remove = {"userid": "zhangsan", "external_userid": "wmt", "remove_tag": [run]}
    assert (await contact_api.post("externalcontact/mark_tag", remove))["errcode"] == 0
    data = await contact_api.get("externalcontact/get", external_userid="wmt")
    [tag] = data["follow_user"][0]["tags"]
    assert tag == {"group_name": "兴趣", "tag_name": "瑜伽", "tag_id": yoga, "type": 1}


async def test_mark_tag_errors(sandbox: Sandbox, contact_api: Api) -> None:
    await sandbox.customer_adds_staff("zhangsan", "wmt")
    tag = (
        await contact_api.post(
            "externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "t"}]}
        )
    )["tag_group"]["tag"][0]["id"]
    cases = [
        ({"userid": "lisi", "external_userid": "wmt", "add_tag": [tag]}, 84061),
        ({"userid": "zhangsan", "external_userid": "wmt", "add_tag": ["etnope"]}, 40068),
        ({"userid": "ghost", "external_userid": "wmt", "add_tag": [tag]}, 40003),
        ({"userid": "zhangsan", "external_userid": "wmnone", "add_tag": [tag]}, 40096),
        ({"userid": "zhangsan", "external_userid": "wmt"}, 40058),
    ]
    for payload, errcode in cases:
        assert (await contact_api.post("externalcontact/mark_tag", payload))["errcode"] == errcode


async def test_group_welcome_templates(contact_api: Api) -> None:
    added = await contact_api.post(
        f"{TEMPLATES}/add",
        {"text": {"content": "欢迎 %NICKNAME%"}, "link": {"title": "t", "url": "https://e.com"}},
    )
    template_id = added["template_id"]
    got = await contact_api.post(f"{TEMPLATES}/get", {"template_id": template_id})
    assert got["text"] == {"content": "欢迎 %NICKNAME%"}
    assert got["link"]["url"] == "https://e.com"
    edit = {"template_id": template_id, "text": {"content": "新的"}}
    assert (await contact_api.post(f"{TEMPLATES}/edit", edit))["errcode"] == 0
    got = await contact_api.post(f"{TEMPLATES}/get", {"template_id": template_id})
    assert got["text"] == {"content": "新的"}
    assert (await contact_api.post(f"{TEMPLATES}/del", {"template_id": template_id}))[
        "errcode"
    ] == 0
    gone = await contact_api.post(f"{TEMPLATES}/get", {"template_id": template_id})
    assert gone["errcode"] == 40058


async def test_group_template_limits(contact_api: Api) -> None:
    too_long = await contact_api.post(
        f"{TEMPLATES}/add", {"text": {"content": text_of_bytes(3001)}}
    )
    assert too_long["errcode"] == 40058
    assert (await contact_api.post(f"{TEMPLATES}/add", {}))["errcode"] == 40058
    for _ in range(100):
        ok = await contact_api.post(f"{TEMPLATES}/add", {"text": {"content": text_of_bytes(3000)}})
        assert ok["errcode"] == 0
    full = await contact_api.post(f"{TEMPLATES}/add", {"text": {"content": "x"}})
    assert full["errcode"] == 41055
