"""The baseline: a bare aiohttp endpoint that reads the body and answers 200, nothing else."""

from __future__ import annotations

import sys

from aiohttp import web


async def ok(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="")


def main() -> None:
    app = web.Application()
    app.router.add_post("/wecom/callback", ok)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
