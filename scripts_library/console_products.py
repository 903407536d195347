"""The console's product page (商品): every product with its cover and where its card opens,
and create / edit / delete through `ProductStore.save`'s checks (the CLI's): a mini-program
card (appid, page and a cover uploaded through `console_web.media`) or a link card. Audited as
made in the console; 撤销 takes a change back (the `product` change kind)."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from bot.admin.call import Call
from bot.admin.session import Change
from bot.appkeys import HANDLER_CONTEXT
from bot.typed_input import InputProblems, build
from console_web.pages import page
from console_web.session_keys import BODY_OF, ConsoleError, admin_session, said
from console_web.views import base_context
from scripts_library.products import Product, ProductError


async def products_page(request: web.Request) -> web.Response:
    products = await request.config_dict[HANDLER_CONTEXT].services.products.list()
    rows = [(p, asdict(p)) for p in products]
    return page("products.html", **base_context(request, "products"), rows=rows)


async def save(request: web.Request) -> web.Response:
    raw = request[BODY_OF].get("product")
    if not isinstance(raw, dict):
        raise ConsoleError(400, "请填写商品")
    ctx = request.config_dict[HANDLER_CONTEXT]
    store = ctx.services.products
    try:
        product = build(Product, raw, defaults={"id": ""})
    except InputProblems as exc:
        return said(f"没有保存：{exc}", refused=True)
    before = await store.get(product.id) if product.id else None
    session = admin_session(request)
    try:
        saved = await store.save(product, await Call(ctx, session).guard())
    except ProductError as exc:
        return said(f"没有保存：{exc}", refused=True)
    verb = "修改" if before else "新增"
    await session.changed(
        "product.edit" if before else "product.add",
        Change(
            "product",
            saved.id,
            asdict(before) if before else None,
            asdict(saved),
            f"{verb}商品 {saved.id}「{saved.name}」",
        ),
    )
    return said(f"已保存商品「{saved.name}」（编号 {saved.id}）")


async def delete(request: web.Request) -> web.Response:
    product_id = request[BODY_OF].get("id")
    store = request.config_dict[HANDLER_CONTEXT].services.products
    before = await store.get(product_id) if isinstance(product_id, str) else None
    if before is None:
        raise ConsoleError(404, "没有这个商品（可能已被删除）")
    await store.delete(before.id)
    summary = f"删除商品 {before.id}「{before.name}」"
    await admin_session(request).changed(
        "product.delete", Change("product", before.id, asdict(before), None, summary)
    )
    return said(f"已删除商品「{before.name}」；引用它的话术和欢迎语发送时会跳过这张卡片。")


async def undo_product(change: Change, call: Call) -> str:
    """撤销: a new product deleted, an edited or deleted one put back."""
    store = call.ctx.services.products
    if change.before is None:
        await store.delete(change.target)
        return f"已撤销：删除了商品 {change.target}"
    product = Product(**change.before)
    await store.save(product, None)  # as it was: it passed its checks then
    return f"已撤销：商品「{product.name}」已恢复"


def setup(app: web.Application) -> None:
    app.router.add_get("/products", products_page)
    app.router.add_post("/api/products/save", save)
    app.router.add_post("/api/products/delete", delete)
