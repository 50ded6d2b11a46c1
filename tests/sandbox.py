"""Try the bot by hand with no Slack and no OpenMeetings: the project's own simulators, on loopback.

    python -m tests.sandbox                  # OM simulator + Slack stub; prints the settings for .env
    python -m bot                            # (another terminal) the bot, with those settings
    python -m tests.sandbox meet room-5      # (a third) a signed /meet room-5; prints the reply it got

``meet`` signs the command as Slack does, with a ``response_url`` of its own, and prints what the bot posted there;
the Join link in it opens in a browser, on the simulator's join page. Everything listens on 127.0.0.1 only, and the
tokens and password below are the sandbox's own, valid nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import Any, TextIO

import httpx

from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackDriver, SlackSimulator, SlackUser

BOT_TOKEN = "xoxb-sandbox-0000000000-0000000000000-sandboxsandboxsandbox"
SIGNING_SECRET = "5a4db0c05a4db0c05a4db0c05a4db0c0"
USER = SlackUser(
    "U0SANDBOX1", "ada", real_name="Ada Lovelace", first_name="Ada", last_name="Lovelace", email="ada@example.com"
)


async def serve(om_port: int, slack_port: int, out: TextIO = sys.stdout) -> None:
    """Runs both simulators until SIGINT or SIGTERM."""
    om = OMSimulator()
    slack = SlackSimulator(bot_token=BOT_TOKEN)
    slack.port = slack_port
    slack.add_user(USER)
    await om.start(om_port)
    await slack.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        out.write(
            "# openmeetings-slack sandbox: OpenMeetings simulator and Slack stub on 127.0.0.1 (Ctrl-C stops both).\n"
            f"# Rooms 1-6 (Public Room 1 ... 6). Slack person: {USER.real_name} ({USER.id}).\n"
            "# Put these lines in .env (or the environment), start the bot, then send it a /meet:\n"
            "#   python -m tests.sandbox meet room-5 --bot http://127.0.0.1:3000\n"
            f"SLACK_BOT_TOKEN={BOT_TOKEN}\n"
            f"SLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
            f"SLACK_API_URL={slack.api_url}\n"
            f"OPENMEETINGS_URL={om.base_url}\n"
            f"OPENMEETINGS_USER={om.api_user.login}\n"
            f"OPENMEETINGS_PASSWORD={om.api_user.password}\n"
        )
        out.flush()
        await stop.wait()
    finally:
        await slack.stop()
        await om.stop()


async def meet(text: str, bot: str, secret: str, timeout: float, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Sends ``/meet <text>`` to the bot at ``bot``, signed; prints the reply that reached the response_url."""
    sink_host = SlackSimulator()  # only its response_url sinks are used: users.info is the sandbox's
    await sink_host.start()
    try:
        async with httpx.AsyncClient() as http:
            driver = SlackDriver(sink_host, bot.rstrip("/") + "/slack/events", secret, http)
            try:
                sent = await driver.command(USER, text)
            except httpx.TransportError as exc:
                out.write(f"no answer from {bot}: {exc or type(exc).__name__} (is the bot running there?)\n")
                return 1
            out.write(
                f"/meet {text} as {USER.name} ({USER.id}): the bot acknowledged with HTTP {sent.ack.status_code}\n"
            )
            if sent.ack.status_code != 200:
                out.write(
                    f"{sent.ack.text}\n(a 401 is a signature the bot refused: is SLACK_SIGNING_SECRET the sandbox's?)\n"
                )
                return 1
            try:
                message = await sink_host.next_message(sent.sink, timeout=timeout)
            except TimeoutError:
                out.write(f"no reply reached the response_url within {timeout:g} s (the bot's log says why)\n")
                return 1
    finally:
        await sink_host.stop()
    if as_json:
        out.write(json.dumps(message, indent=2) + "\n")
        return 0
    out.write(f"reply at the response_url ({message.get('response_type', 'ephemeral')}):\n")
    for line in "\n".join(readable(message)).splitlines():
        out.write(f"  {line}\n" if line.strip() else "\n")
    return 0


def readable(message: dict[str, Any]) -> list[str]:
    """A Block Kit message as lines of text, each button as ``[label] url``."""

    def button(element: dict[str, Any]) -> str:
        label = f"[{element.get('text', {}).get('text', '')}]"
        return f"{label} {element['url']}" if element.get("url") else label

    lines: list[str] = []
    for block in message.get("blocks", []):
        if block.get("type") == "actions":
            lines += [button(e) for e in block.get("elements", []) if e.get("type") == "button"]
            continue
        parts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        text = " ".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            text += "  " + button(accessory)
        if text.strip():
            lines.append(text)
    return lines or [str(message.get("text", ""))]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["meet"]:
        parser = argparse.ArgumentParser(prog="python -m tests.sandbox meet", description=meet.__doc__)
        parser.add_argument("text", nargs="*", help="what follows /meet, e.g. room-5, list, help")
        parser.add_argument("--bot", default="http://127.0.0.1:3000", help="the bot's address (default: %(default)s)")
        parser.add_argument(
            "--secret", default=SIGNING_SECRET, help="its SLACK_SIGNING_SECRET (default: the sandbox's)"
        )
        parser.add_argument("--timeout", type=float, default=40.0, help="seconds to wait for the reply")
        parser.add_argument("--json", action="store_true", help="print the reply as Slack received it")
        options = parser.parse_args(args[1:])
        return asyncio.run(meet(" ".join(options.text), options.bot, options.secret, options.timeout, options.json))
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--om-port", type=int, default=5080, help="OpenMeetings simulator's port (0: any free one)")
    parser.add_argument("--slack-port", type=int, default=5081, help="Slack stub's port (0: any free one)")
    options = parser.parse_args(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.om_port, options.slack_port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
