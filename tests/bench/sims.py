"""The simulators as processes of their own, so their CPU is never charged to an app or the load generator.

``python -m tests.bench.sims om --latency 0.1`` or ``python -m tests.bench.sims slack``. Each prints one JSON line,
``{"port": …, "control": …}``, once it serves, and runs until stdin closes (so it dies with the benchmark).

The control port (bench only, never seen by the apps):

- ``GET /stats``: request counters, for "OM requests / Slack API calls per /meet".
- ``POST /latency?seconds=0.2`` (OM): the per-request latency from now on.
- ``GET /replies`` (Slack): a stream of one line per reply posted to a response_url, ``<token> <t> <ok> <url>``,
  where ``t`` is ``time.monotonic()`` at arrival (CLOCK_MONOTONIC, the same clock in every process of the machine),
  ``ok`` is 1 when the reply carries a Join button and ``url`` is that button's URL (``-`` without one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from aiohttp import web

from tests.simulators.om import OMSimulator
from tests.simulators.slack import Sink, SlackSimulator, SlackUser, join_button

BOT_TOKEN = "xoxb-4242424242-4242424242-benchbenchbenchbenchbenc"
SIGNING_SECRET = "bench-signing-secret-0123456789ab"


class BenchSlack(SlackSimulator):
    """The Slack simulator, open to anyone: every user id is a person, every response_url token a sink."""

    def __init__(self) -> None:
        super().__init__(bot_token=BOT_TOKEN)
        self.posts = 0
        self._streams: list[web.StreamResponse] = []
        self._lines: asyncio.Queue[bytes] = asyncio.Queue()

    def _users_info(self, params: dict[str, str]) -> web.Response:
        user_id = params.get("user", "")
        if user_id.startswith("U") and user_id not in self.users:
            n = user_id[1:].lower()
            self.add_user(
                SlackUser(
                    user_id,
                    f"person{n}",
                    real_name=f"Person {n}",
                    first_name="Person",
                    last_name=n,
                    email=f"person{n}@example.com",
                    locale="en-US",
                )
            )
        return super()._users_info(params)

    async def _response_url(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        sink = self.sinks.setdefault(token, Sink(token))
        response = await super()._response_url(request)
        if response.status == 200 and sink.messages:
            arrived = time.monotonic()
            self.posts += 1
            try:
                url = str(join_button(sink.messages[-1])["url"])
                ok = 1
            except AssertionError:
                url, ok = "-", 0
            sink.messages.clear()  # keep the stub's memory flat over long runs
            self.sinks.pop(token, None)
            self._lines.put_nowait(f"{token} {arrived:.6f} {ok} {url}\n".encode())
        return response

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(b"ready\n")
        while True:
            line = await self._lines.get()
            batch = [line]
            while not self._lines.empty():
                batch.append(self._lines.get_nowait())
            await response.write(b"".join(batch))


async def _serve(kind: str, latency: float) -> None:
    control = web.Application()
    stats: Any
    if kind == "om":
        om = OMSimulator(latency=latency)
        await om.start()
        port = om.port

        def stats() -> dict[str, int]:
            return {"requests": len(om.requests), "logins": om.login_count}

        async def set_latency(request: web.Request) -> web.Response:
            om.latency = float(request.query["seconds"])
            return web.json_response({"latency": om.latency})

        control.router.add_post("/latency", set_latency)
    else:
        slack = BenchSlack()
        slack.latency = latency
        await slack.start()
        port = slack.port

        def stats() -> dict[str, int]:
            return {"api_calls": len(slack.calls), "posts": slack.posts}

        control.router.add_get("/replies", slack.stream)

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats())

    control.router.add_get("/stats", get_stats)
    runner = web.AppRunner(control, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": port, "control": runner.addresses[0][1]}), flush=True)
    # Run until the parent goes away (stdin closes).
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser(description="a benchmark simulator process")
    parser.add_argument("kind", choices=["om", "slack"])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.kind, args.latency))


if __name__ == "__main__":
    main()
