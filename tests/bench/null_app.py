"""``python -m tests.bench.null_app``: answers 200 to everything and does nothing else.

The burst scenario sends the same waves to it, to show what the load generator and the machine add to an ack by
themselves (the "floor" row of the report). Served like the apps: aiohttp, from ``PORT``.
"""

from __future__ import annotations

import os

from aiohttp import web


async def ok(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=200)


def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", ok)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), access_log=None, print=None)


if __name__ == "__main__":
    main()
