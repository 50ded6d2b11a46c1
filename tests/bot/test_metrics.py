"""``GET /metrics``: Prometheus text from the served bot, after real commands through the simulators."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Config, ConfigError
from tests.conftest import RunningBot, StartBot, bot_env
from tests.simulators.om import OMSimulator
from tests.simulators.om import Room as OMRoom
from tests.simulators.slack import SlackSimulator, SlackUser

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(bot: RunningBot) -> tuple[str, Samples]:
    response = await bot.http.get(bot.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_are_off_unless_enabled(bot: RunningBot) -> None:
    response = await bot.http.get(bot.url + "/metrics")
    assert response.status_code == 404


async def test_commands_by_outcome_om_latency_and_pool_state(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(METRICS_ENABLED="true")
    sent = await bot.driver.command(alice, "room-5")
    message = await slack.next_message(sent.sink)
    for text in ("help", "what is this", "room-99"):
        await slack.next_message((await bot.driver.command(alice, text)).sink)
    click = await bot.driver.click(alice, message)
    await slack.next_message(click.sink)
    await om.wait_until(lambda: bot.context.pool.status().fresh == bot.context.pool.size)

    text, samples = await scrape(bot)
    commands = "omslack_commands_total"
    assert value(samples, commands, trigger="command", outcome="ok") == 1
    assert value(samples, commands, trigger="command", outcome="usage") == 2
    assert value(samples, commands, trigger="command", outcome="room_not_found") == 1
    assert value(samples, commands, trigger="button", outcome="ok") == 1

    latency = "omslack_om_request_duration_seconds_count"
    assert value(samples, latency, endpoint="/user/hash") == 2
    assert value(samples, latency, endpoint="/room/{id}") >= 2  # room 5 and room 99 (cached after)
    assert value(samples, latency, endpoint="/user/login") == om.login_count
    assert value(samples, latency, endpoint="/info/version") == 1

    status = bot.context.pool.status()
    assert value(samples, "omslack_pool_sessions", state="fresh") == status.fresh == 2
    assert value(samples, "omslack_pool_sessions", state="links") == status.links == 1
    assert value(samples, "omslack_pool_target") == status.target == 2
    # Two hashes (the /meet and the click), in one pool interval or across two.
    assert value(samples, "omslack_pool_peak") == status.peak in (1, 2)
    assert value(samples, "omslack_om_logins_total") == status.logins == om.login_count
    # Labels name the call, never a SID, a hash or a room's id.
    assert not [secret for secret in (*om.sessions, *om.hashes) if secret in text]
    assert 'endpoint="/room/5"' not in text


@pytest.mark.parametrize("fault", ["wrong password", "om down", "no soap"])
async def test_om_failures_are_counted_by_kind(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, fault: str
) -> None:
    expected = {"wrong password": "login_refused", "om down": "unreachable", "no soap": "no_soap"}[fault]
    if fault == "no soap":
        om.api_user.rights.discard("SOAP")
    bot = await start_bot(
        METRICS_ENABLED="yes", **({"OPENMEETINGS_PASSWORD": "wrong"} if fault == "wrong password" else {})
    )
    if fault == "om down":
        await om.stop()
    await slack.next_message((await bot.driver.command(alice, "room-5")).sink)

    _, samples = await scrape(bot)
    assert value(samples, "omslack_commands_total", trigger="command", outcome=expected) == 1
    assert value(samples, "omslack_commands_total", trigger="command", outcome="ok") == 0


async def test_slack_api_errors_are_counted(start_bot: StartBot, slack: SlackSimulator, alice: SlackUser) -> None:
    bot = await start_bot(METRICS_ENABLED="true")
    slack.users_info_error = "fatal_error"
    await slack.next_message((await bot.driver.command(alice, "room-5")).sink)
    _, samples = await scrape(bot)
    assert value(samples, "omslack_slack_api_errors_total") == bot.context.slack.errors == 1
    # The person still got in: a users.info failure is not the command's failure.
    assert value(samples, "omslack_commands_total", trigger="command", outcome="ok") == 1


async def test_sid_renewals_are_counted(start_bot: StartBot, om: OMSimulator) -> None:
    bot = await start_bot(METRICS_ENABLED="true", OPENMEETINGS_SESSION_TIMEOUT="0.6")
    await om.wait_until(lambda: bot.context.pool.status().renewals >= 2)
    _, samples = await scrape(bot)
    assert value(samples, "omslack_om_sid_renewals_total") >= 2


async def test_each_bot_has_its_own_registry(start_bot: StartBot, slack: SlackSimulator, alice: SlackUser) -> None:
    busy = await start_bot(METRICS_ENABLED="true")
    idle = await start_bot(METRICS_ENABLED="true")
    await slack.next_message((await busy.driver.command(alice, "help")).sink)
    _, busy_samples = await scrape(busy)
    _, idle_samples = await scrape(idle)
    assert value(busy_samples, "omslack_commands_total", trigger="command", outcome="usage") == 1
    assert value(idle_samples, "omslack_commands_total", trigger="command", outcome="usage") == 0


def test_metrics_setting(om: OMSimulator, slack: SlackSimulator) -> None:
    assert Config.from_env(bot_env(om, slack)).metrics_enabled is False
    assert Config.from_env(bot_env(om, slack, METRICS_ENABLED="on")).metrics_enabled is True
    with pytest.raises(ConfigError, match="METRICS_ENABLED"):
        Config.from_env(bot_env(om, slack, METRICS_ENABLED="sometimes"))


async def test_every_answer_is_counted_under_its_own_outcome(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    """A list of one page and one of two, several matching rooms, and a refusal for want of auth.test: each reply
    says what it ended in, rather than the metrics guessing from the message's blocks."""
    bot = await start_bot(METRICS_ENABLED="true")
    await slack.next_message((await bot.driver.command(alice, "list")).sink)  # six rooms: one page
    await slack.next_message((await bot.driver.command(alice, "public room")).sink)  # six match
    _, samples = await scrape(bot)
    assert value(samples, "omslack_commands_total", trigger="command", outcome="ok") == 2
    assert value(samples, "omslack_commands_total", trigger="command", outcome="usage") == 0

    for number in range(40):
        om.add_room(OMRoom(100 + number, f"Overflow {number}"))
    other = await start_bot(METRICS_ENABLED="true")
    await slack.next_message((await other.driver.command(alice, "list")).sink)  # two pages
    slack.auth_test_error = "invalid_auth"
    third = await start_bot(METRICS_ENABLED="true")
    await slack.next_message((await third.driver.command(alice, "room-5")).sink)
    _, samples = await scrape(other)
    assert value(samples, "omslack_commands_total", trigger="command", outcome="ok") == 1
    _, samples = await scrape(third)
    assert value(samples, "omslack_commands_total", trigger="command", outcome="refused") == 1
    assert value(samples, "omslack_commands_total", trigger="command", outcome="usage") == 0


async def test_endpoint_labels_are_a_fixed_set_across_conversations(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(METRICS_ENABLED="true")
    for channel in ("C0FIRST01", "C0SECOND2"):
        await slack.next_message((await bot.driver.command(alice, "", channel=channel)).sink)
    _, samples = await scrape(bot)
    endpoints = {
        dict(labels)["endpoint"] for name, labels in samples if name == "omslack_om_request_duration_seconds_count"
    }
    assert len([e for e in endpoints if e.startswith("/room/") and e.count("/") > 2]) == 1, endpoints
    assert not [e for e in endpoints if "C0FIRST01" in e or "C0SECOND2" in e or "T0TEAM001" in e]
