"""``python -m tests.sandbox`` as a contributor uses it (README: "Trying it without Slack or OpenMeetings"):
the simulators in one process, the bot started with the settings it printed, and ``meet`` sending a signed
/meet to that bot and printing the reply, each a real process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, start_bot_process, stop_bot_process, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "OPENMEETINGS_URL",
    "OPENMEETINGS_USER",
    "OPENMEETINGS_PASSWORD",
)


def clean_env() -> dict[str, str]:
    """The environment without any of the developer's own bot settings."""
    own = ("SLACK_", "OPENMEETINGS_", "MEET_", "HOST", "PORT")
    return {k: v for k, v in os.environ.items() if not k.startswith(own)} | {"PYTHONPATH": str(ROOT)}


async def sandbox(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.sandbox", *args, cwd=str(cwd), env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.fixture
async def simulators(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """``python -m tests.sandbox`` running; yields the settings it printed, as ``NAME=value`` lines."""
    proc = await sandbox("--om-port", "0", "--slack-port", "0", cwd=tmp_path)
    assert proc.stdout is not None
    printed: dict[str, str] = {}
    try:
        while not set(SETTINGS) <= printed.keys():
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert line, "the sandbox exited before printing its settings"
            if not line.startswith("#") and "=" in line:
                name, value = line.strip().split("=", 1)
                printed[name] = value
        yield printed
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()


async def test_the_sandbox_serves_a_bot_started_with_its_settings_and_meet_prints_the_reply(
    simulators: dict[str, str], tmp_path: Path
) -> None:
    assert set(printed_hosts(simulators)) == {"127.0.0.1"}
    # The printed lines, as a contributor pastes them into .env in the directory the bot is started from.
    (tmp_path / ".env").write_text("".join(f"{name}={value}\n" for name, value in simulators.items()))
    port = free_port()
    bot = await start_bot_process({**clean_env(), "PORT": str(port)}, cwd=tmp_path)
    try:
        assert await wait_healthy(port, bot) == 200
        meet = await sandbox("meet", "room-5", "--bot", f"http://127.0.0.1:{port}", cwd=tmp_path)
        out, err = await asyncio.wait_for(meet.communicate(), 60)
        assert meet.returncode == 0, out.decode() + err.decode()
        text = out.decode()
        assert "/meet room-5 as ada (U0SANDBOX1): the bot acknowledged with HTTP 200" in text
        assert "*Public Room 5* (OpenMeetings room 5)" in text
        (join,) = [line.split("] ", 1)[1] for line in text.splitlines() if line.startswith("  [Join Public Room 5] ")]
        assert join.startswith(simulators["OPENMEETINGS_URL"] + "/hash?secure=")
        # The link opens on the simulator's join page, signed in as the sandbox's Slack person.
        async with httpx.AsyncClient() as http:
            page = await http.get(join)
        assert page.status_code == 200 and "Ada Lovelace" in page.text and "Room 5" in page.text

        wrong = await sandbox("meet", "room-5", "--bot", f"http://127.0.0.1:{port}", "--secret", "0" * 32, cwd=tmp_path)
        out, _ = await asyncio.wait_for(wrong.communicate(), 60)
        assert wrong.returncode == 1 and "HTTP 401" in out.decode()
    finally:
        log = await stop_bot_process(bot)
    assert bot.returncode == 0, log


def printed_hosts(settings: dict[str, str]) -> list[str]:
    return [httpx.URL(settings[name]).host for name in ("SLACK_API_URL", "OPENMEETINGS_URL")]
