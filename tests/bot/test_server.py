"""The served app itself: health check, start-up settings, the Procfile line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import Config, ConfigError
from tests.conftest import RunningBot, bot_env
from tests.processes import free_port, run_to_exit, start_bot_process, stop_bot_process, wait_healthy
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator

ROOT = Path(__file__).resolve().parents[2]


async def test_healthz_is_200_when_om_answers_and_the_pool_is_filled(bot: RunningBot, om: OMSimulator) -> None:
    await om.wait_until(lambda: bot.context.pool.status().fresh > 0)
    response = await bot.healthz()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["openmeetings"] == "ok"
    assert body["pool"]["target"] == bot.context.pool.size and body["pool"]["peak"] == 0  # no link handed out yet
    for sid in om.sessions:
        assert sid not in response.text


async def test_healthz_is_503_with_a_reason_when_om_is_down(bot: RunningBot, om: OMSimulator) -> None:
    await om.stop()
    response = await bot.healthz()
    assert response.status_code == 503
    assert response.json()["openmeetings"] == "unreachable"
    assert "not reachable" in response.json()["reason"]


def test_procfile_serves_the_app_on_port() -> None:
    line = (ROOT / "Procfile").read_text().strip().splitlines()
    web = [entry for entry in line if entry.startswith("web:")]
    assert web == ["web: python -m bot"]


async def test_python_m_bot_starts_serves_healthz_and_stops_on_sigterm(om: OMSimulator, slack: SlackSimulator) -> None:
    """What the Procfile's web line does, as a real process reading its settings from the environment."""
    port = free_port()
    env = {**os.environ, **bot_env(om, slack), "PORT": str(port)}
    proc = await start_bot_process(env)
    try:
        assert await wait_healthy(port, proc) == 200
    finally:
        log = await stop_bot_process(proc)
    assert proc.returncode == 0, log
    assert "bot stopped" in log
    assert om.api_user.password not in log
    # Where it listens, said once; nothing misleading (Bolt's "`token` will be unused": the token is in use).
    assert log.count(f"listening on http://0.0.0.0:{port}") == 1, log
    assert "will be unused" not in log and "WARNING" not in log, log


async def test_missing_setting_stops_start_up_with_one_line_naming_it(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    env = {k: v for k, v in {**os.environ, **bot_env(om, slack)}.items() if k != "OPENMEETINGS_URL"}
    code, log = await run_to_exit(env, cwd=tmp_path)
    assert code == 2
    lines = log.strip().splitlines()
    assert len(lines) == 1 and "OPENMEETINGS_URL" in lines[0]


def test_config_reads_every_setting() -> None:
    config = Config.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "OPENMEETINGS_URL": "https://om.example.org/openmeetings/",
            "OPENMEETINGS_USER": "u",
            "OPENMEETINGS_PASSWORD": "p",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "OPENMEETINGS_SESSION_TIMEOUT": "900",
            "JOIN_LINK_TTL": "7200",
            "OPENMEETINGS_VERIFY_TLS": "false",
            "OPENMEETINGS_EXTERNAL_TYPE": "corp",
            "OPENMEETINGS_LANGUAGE": "2",
            "MEET_DEFAULT_ROOM": "room-7",
            "MEET_MODERATORS": "U1,U2",
            "MEET_ADMINS_ARE_MODERATORS": "yes",
            "PORT": "8080",
        }
    )
    assert config.openmeetings_url == "https://om.example.org/openmeetings"
    assert config.slack_api_url == "http://127.0.0.1:9/api/"
    assert (config.session_timeout, config.join_link_ttl, config.verify_tls) == (900, 7200, False)
    assert (config.external_type, config.language, config.default_room) == ("corp", 2, 7)
    assert config.moderators == frozenset({"U1", "U2"}) and config.admins_are_moderators
    assert config.port == 8080


def test_public_url_and_the_join_link_key(om: OMSimulator, slack: SlackSimulator) -> None:
    off = Config.from_env(bot_env(om, slack))
    assert (off.public_url, off.join_link_key) == ("", "")
    derived = Config.from_env(bot_env(om, slack, PUBLIC_URL="https://meet-bot.example.org/"))
    assert derived.public_url == "https://meet-bot.example.org"
    assert len(derived.join_link_key) == 64 and derived.slack_signing_secret not in derived.join_link_key
    own = Config.from_env(bot_env(om, slack, PUBLIC_URL="https://meet-bot.example.org", JOIN_LINK_SECRET="s" * 32))
    assert own.join_link_key == "s" * 32
    for bad, named in (
        ({"PUBLIC_URL": "https://meet-bot.example.org/slack/events"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "meet-bot.example.org"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://meet-bot.example.org", "JOIN_LINK_SECRET": "short"}, "JOIN_LINK_SECRET"),
    ):
        with pytest.raises(ConfigError) as caught:
            Config.from_env(bot_env(om, slack, **bad))
        assert caught.value.setting == named
        assert "short" not in str(caught.value) or named != "JOIN_LINK_SECRET"
