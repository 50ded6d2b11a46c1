"""Settings a first deploy trips on: an unedited copy of .env.example, and HOST (the address to listen on)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import httpx
import pytest
from dotenv import dotenv_values

from bot.config import PLACEHOLDERS, Config, ConfigError
from tests.conftest import bot_env
from tests.processes import free_port, run_to_exit, start_bot_process, stop_bot_process, wait_healthy
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-real",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "OPENMEETINGS_URL": "https://om.acme.test/openmeetings",
    "OPENMEETINGS_USER": "slackbot",
    "OPENMEETINGS_PASSWORD": "Real-pass-1!",
}
_COMMENTED = re.compile(r"#\s*([A-Z][A-Z0-9_]*)=(.*)")


def example_settings() -> dict[str, str]:
    values = dotenv_values(EXAMPLE)
    assert values, ".env.example sets nothing"
    return {name: value or "" for name, value in values.items()}


def commented_examples() -> dict[str, str]:
    """The optional settings .env.example shows commented out, with the example value."""
    lines = EXAMPLE.read_text().splitlines()
    return {m[1]: m[2].strip() for m in map(_COMMENTED.fullmatch, lines) if m}


def refusal(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env)
    return caught.value


def test_an_unedited_copy_of_env_example_is_refused_naming_a_placeholder() -> None:
    error = refusal(example_settings())
    assert error.setting in example_settings()
    assert str(error).startswith(error.setting + " still has the placeholder value from .env.example")


@pytest.mark.parametrize("name", sorted(example_settings()))
def test_every_value_env_example_sets_is_refused_as_a_placeholder(name: str) -> None:
    """Each required setting left as shipped stops start-up on its own, whatever else is filled in."""
    value = example_settings()[name]
    error = refusal({**GOOD, name: value})
    assert error.setting == name and value not in str(error)


@pytest.mark.parametrize("name", sorted(commented_examples()))
def test_each_commented_out_example_is_a_default_or_refused_by_name(name: str) -> None:
    """Uncommented as shipped, an example either is a working value or stops start-up naming its setting."""
    value = commented_examples()[name]
    try:
        Config.from_env({**GOOD, name: value})
    except ConfigError as exc:
        assert exc.setting == name
        if name in PLACEHOLDERS:
            assert "placeholder" in str(exc)
    else:
        assert name not in PLACEHOLDERS or value.lower() not in PLACEHOLDERS[name]


def test_the_placeholders_known_to_the_bot_are_the_ones_env_example_ships() -> None:
    shipped = {**example_settings(), **commented_examples()}
    for name, values in PLACEHOLDERS.items():
        assert name in shipped and shipped[name].lower() in values, f"{name}: .env.example and PLACEHOLDERS differ"


def test_a_placeholder_signing_secret_is_no_error_over_socket_mode() -> None:
    config = Config.from_env(
        {**GOOD, "SLACK_APP_TOKEN": "xapp-1-A0-1-abc", "SLACK_SIGNING_SECRET": "your-signing-secret"}
    )
    assert config.socket_mode and config.slack_signing_secret == ""


async def test_python_m_bot_in_a_directory_with_the_example_as_env_exits_2_with_one_line(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / ".env")
    own = ("SLACK_", "OPENMEETINGS_", "MEET_", "HOST", "PORT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    code, err = await run_to_exit(env, cwd=tmp_path)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(
        "openmeetings-slack: configuration error: SLACK_BOT_TOKEN still has the placeholder value from .env.example"
    ), line


# -- HOST ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("::", "::"),
        ("localhost", "localhost"),
        ("bot.internal.", "bot.internal."),
    ],
)
def test_host_takes_an_ip_address_or_a_host_name(value: str, host: str) -> None:
    assert Config.from_env({**GOOD, "HOST": value}).host == host


def test_host_defaults_to_every_interface() -> None:
    assert Config.from_env(GOOD).host == "0.0.0.0"  # noqa: S104 - compared, not bound


@pytest.mark.parametrize("value", ["127.0.0.1:3000", "http://127.0.0.1", "[::1]", "-bot", "a..b", "999.1.1.1", "bot_1"])
def test_host_that_is_neither_is_refused_by_name(value: str) -> None:
    error = refusal({**GOOD, "HOST": value})
    assert error.setting == "HOST" and "IP address or a host name" in str(error)


async def healthcheck(env: dict[str, str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "healthcheck", cwd=str(ROOT), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await asyncio.wait_for(proc.wait(), 20)


async def test_python_m_bot_with_host_listens_there_only(om: OMSimulator, slack: SlackSimulator) -> None:
    port = free_port()
    env = {**os.environ, **bot_env(om, slack), "PORT": str(port), "HOST": "127.0.0.1"}
    proc = await start_bot_process(env)
    try:
        assert await wait_healthy(port, proc) == 200
        assert await healthcheck(env) == 0
        # Another loopback address of the same machine: a bot bound to 0.0.0.0 would answer there too.
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.2:{port}/healthz")
        assert await healthcheck({**env, "HOST": "127.0.0.2"}) == 1
    finally:
        log = await stop_bot_process(proc)
    assert proc.returncode == 0, log
