"""Faults between Slack, the bot and OM: each one gets a clear ephemeral answer and the bot recovers."""

from __future__ import annotations

import time

import pytest

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, join_button, message_text, sign


@pytest.mark.parametrize(
    ("version", "verb"), [("9.1.0", "POST"), ("9.0.0", "POST"), ("8.1.0", "GET"), ("7.2.0", "GET")]
)
async def test_login_verb_follows_the_om_version(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, version: str, verb: str
) -> None:
    om.version = version
    bot = await start_bot()
    sent = await bot.driver.command(alice, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.firstname == "Alice"
    logins = [r for r in om.requests if r.path == "/services/user/login"]
    assert logins and {r.method for r in logins} == {verb}
    assert all(r.status == 200 for r in logins)
    assert om.count("/services/info/version") == 1


async def test_wrong_om_password_tells_the_person_to_ask_their_admin_and_logs_the_setting(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot(OPENMEETINGS_PASSWORD="not-the-password")
    sent = await bot.driver.command(alice, "room-5")
    message = await slack.next_message(sent.sink)
    text = message_text(message)
    assert message["response_type"] == "ephemeral"
    assert "ask your Slack admin" in text
    assert "OPENMEETINGS_PASSWORD" in caplog.text
    assert "not-the-password" not in caplog.text and "not-the-password" not in text
    # A wrong password costs OM 6-16 s a try: no retry loop, a second /meet does not log in again.
    logins = om.count("/services/user/login")
    sent2 = await bot.driver.command(alice, "room-5")
    assert "ask your Slack admin" in message_text(await slack.next_message(sent2.sink))
    assert om.count("/services/user/login") == logins
    health = await bot.healthz()
    assert health.status_code == 503
    assert "not-the-password" not in health.text


async def test_om_down_then_back_without_a_restart(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    await om.stop()
    sent = await bot.driver.command(alice, "room-5")
    assert sent.ack.status_code == 200
    message = await slack.next_message(sent.sink)
    assert message["response_type"] == "ephemeral"
    assert "OpenMeetings is not reachable" in message_text(message)
    assert (await bot.healthz()).status_code == 503

    await om.restart()  # back, and every SID it had is gone
    sent = await bot.driver.command(alice, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.firstname == "Alice"


async def test_om_restart_that_drops_every_sid_is_survived(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    first = await bot.driver.command(alice, "room-5")
    await slack.next_message(first.sink)
    pool = bot.context.pool
    await om.wait_until(lambda: pool.status().fresh == pool.size)
    om.drop_sessions()
    sent = await bot.driver.command(alice, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.firstname == "Alice"


async def test_missing_soap_right_is_named(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    om.api_user.rights.discard("SOAP")
    sent = await bot.driver.command(alice, "room-5")
    message = await slack.next_message(sent.sink)
    assert "SOAP" in message_text(message)
    assert "SOAP right" in caplog.text


async def test_ack_comes_back_before_a_slow_om_answers(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    om.latency = 1.5
    started = time.perf_counter()
    sent = await bot.driver.command(alice, "room-5")
    acked = time.perf_counter()
    assert sent.ack.status_code == 200
    assert not sent.sink.messages
    await slack.next_message(sent.sink, timeout=15)
    answered = time.perf_counter()
    assert acked - started < answered - started - 1.0
    assert om.requests and min(r.t_start for r in om.requests) < answered


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "v0=" + "0" * 64},
        "stale",
        "wrong-secret",
    ],
)
async def test_bad_or_stale_signature_gets_401_and_no_om_call(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, headers: object
) -> None:
    await bot.settled(om)
    before = len(om.requests)
    slack_before = len(slack.calls)
    body, sink = bot.driver.command_body(alice, "room-5")
    if headers == "stale":
        sent_headers = sign(bot.driver.signing_secret, body, int(time.time()) - 6 * 60)
    elif headers == "wrong-secret":
        sent_headers = sign("not-the-signing-secret", body)
    else:
        assert isinstance(headers, dict)
        sent_headers = {k: v.replace("{now}", str(int(time.time()))) for k, v in headers.items()}
        sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = await bot.driver.post(body, sent_headers)
    assert response.status_code == 401
    # A control request that is signed right does reach OM: the check above could have failed.
    ok = await bot.driver.command(alice, "room-5")
    await slack.next_message(ok.sink)
    assert not sink.messages
    rejected_window = [r for r in om.requests[before:] if r.path == "/services/user/hash"]
    assert len(rejected_window) == 1
    assert len([c for c in slack.calls[slack_before:] if c.method == "users.info"]) <= 1


@pytest.mark.parametrize("signed", [True, False])
async def test_slacks_certificate_check_gets_an_empty_200_and_runs_nothing(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, signed: bool
) -> None:
    await bot.settled(om)
    before, slack_before = len(om.requests), len(slack.calls)
    # Even with a command's fields in it, an ssl_check body runs no listener: unsigned, it must not reach OM.
    body, sink = bot.driver.command_body(alice, "room-5")
    body = "ssl_check=1&" + body
    headers = sign(bot.driver.signing_secret, body) if signed else {}
    response = await bot.driver.post(body, {**headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.content == b""
    ok = await bot.driver.command(alice, "room-5")  # a signed command after it is served: the check could fail
    await slack.next_message(ok.sink)
    assert not sink.messages
    assert len([r for r in om.requests[before:] if r.path == "/services/user/hash"]) == 1
    assert len([c for c in slack.calls[slack_before:] if c.method == "users.info"]) <= 1
