"""`scrm-bot products ...`: the product catalogue that welcome templates and the sidebar use."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from bot.cli.output import admin_services, print_json, reporting
from bot.config import Settings
from bot.media import MediaError, MediaLibrary
from bot.text.guard import TextGuard
from scripts_library.products import Product, ProductStore


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    products = commands.add_parser("products", help="product catalogue (商品库)")
    actions = products.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every product as JSON")
    actions.add_parser("show", help="one product").add_argument("id")
    save = actions.add_parser("set", help="create or replace a product")
    save.add_argument("--id", default="", help="product id (new random id when omitted)")
    save.add_argument("--name", required=True)
    save.add_argument("--price", default="", help="in yuan, e.g. 199 or 9.90")
    save.add_argument("--description", default="")
    save.add_argument("--image", type=Path, help="cover image file (JPG/PNG), uploaded to WeCom")
    save.add_argument("--image-url", default="", help="public URL of the cover image")
    save.add_argument("--appid", default="", help="mini-program appid (with --page)")
    save.add_argument("--page", default="", help="mini-program page path")
    save.add_argument("--url", default="", help="web page, when there is no mini-program")
    actions.add_parser("remove", help="delete a product").add_argument("id")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        store = services.stores.products
        media = services.stores.media
        guard = await services.outgoing_guard() if args.action == "set" else None
        return await reporting(_products(args, store, media, guard))


async def _products(
    args: argparse.Namespace, store: ProductStore, media: MediaLibrary, guard: TextGuard | None
) -> int:
    if args.action == "list":
        print_json([asdict(p) for p in await store.list()])
        return 0
    if args.action == "set":
        existing = await store.get(args.id) if args.id else None
        image_ref = existing.image_ref if existing else ""
        if args.image is not None:
            image_ref = await media.add("image", args.image.name, _read(args.image))
        product = Product(
            args.id,
            args.name,
            args.price,
            args.description,
            image_ref,
            args.image_url,
            args.appid,
            args.page,
            args.url,
        )
        print_json(asdict(await store.save(product, guard)))
        return 0
    found = await store.get(args.id)
    if found is None:
        print(f"错误：没有商品 {args.id}", file=sys.stderr)
        return 2
    if args.action == "show":
        print_json(asdict(found))
    else:
        await store.delete(found.id)
        print_json({"removed": found.id})
    return 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MediaError(f"无法读取 {path}：{exc}") from None
