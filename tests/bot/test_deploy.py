"""What a platform runs: the container's health check command, and the Dockerfile's shape.

There is no container engine in CI, so the image itself is not built here; the health check
command it runs is tested against a served bot."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.conftest import RunningBot
from tests.processes import free_port
from tests.simulators.om import OMSimulator

ROOT = Path(__file__).resolve().parents[2]


async def healthcheck(port: int) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "healthcheck",
        cwd=str(ROOT),
        env={**os.environ, "PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode is not None
    return proc.returncode


async def test_healthcheck_command_follows_healthz(bot: RunningBot, om: OMSimulator) -> None:
    await om.wait_until(lambda: bot.context.pool.status().fresh > 0)
    port = int(bot.url.rsplit(":", 1)[1])
    assert await healthcheck(port) == 0
    await om.stop()
    assert (await bot.healthz()).status_code == 503
    assert await healthcheck(port) == 1
    assert await healthcheck(free_port()) == 1


def test_dockerfile_runs_the_web_line_as_a_user_with_a_health_check() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    (user,) = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert user not in ("root", "0")
    (cmd,) = [line for line in instructions if line.startswith("CMD ")]
    assert json.loads(cmd.removeprefix("CMD ")) == ["python", "-m", "bot"]
    (check,) = [line for line in instructions if line.startswith("HEALTHCHECK ")]
    assert check.endswith('CMD ["python", "-m", "bot", "healthcheck"]')
    assert any("pip install --no-cache-dir" in line for line in instructions)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored and "!.env" not in ignored


def test_the_manifest_asks_for_every_scope_doctor_checks_and_escapes_mentions() -> None:
    from bot.doctor import REQUIRED_SCOPES

    manifest = (ROOT / "manifest.yml").read_text()
    lines = manifest.splitlines()
    start = lines.index("    bot:") + 1
    scopes = []
    for line in lines[start:]:
        if not line.startswith("      "):
            break
        if line.strip().startswith("- "):
            scopes.append(line.strip().removeprefix("- "))
    assert sorted(scopes) == sorted(REQUIRED_SCOPES)
    assert "should_escape: true" in manifest


def test_the_manifest_enables_the_home_tab_and_its_event() -> None:
    manifest = (ROOT / "manifest.yml").read_text()
    assert "home_tab_enabled: true" in manifest
    assert "bot_events:\n      - app_home_opened" in manifest
