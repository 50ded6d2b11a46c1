"""Faults in OM and Slack: a clear ephemeral answer where a person waits, the process stays up, /healthz
says what is wrong, and the bot recovers by itself once the fault ends."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import trustme
from aiohttp import web

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, command_fields, join_button, message_text, sign


async def meet_text(bot: RunningBot, slack: SlackSimulator, person: SlackUser, text: str = "room-5") -> str:
    sent = await bot.driver.command(person, text)
    assert sent.ack.status_code == 200
    message = await slack.next_message(sent.sink, timeout=15)
    assert message["response_type"] == "ephemeral"
    return message_text(message)


async def assert_recovers(bot: RunningBot, om: OMSimulator, slack: SlackSimulator, person: SlackUser) -> None:
    sent = await bot.driver.command(person, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink, timeout=15))["url"])
    assert joined is not None and joined.user.external_id.endswith(":" + person.id)
    health = await bot.healthz()
    assert health.status_code == 200, health.text


async def test_dns_failure(
    start_bot: StartBot, slack: SlackSimulator, alice: SlackUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        # The resolver's own answer for a name that does not exist, without asking a DNS server.
        if host == "om.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    bot = await start_bot(OPENMEETINGS_URL="http://om.invalid:5080/openmeetings")
    assert "OpenMeetings is not reachable" in await meet_text(bot, slack, alice)
    health = await bot.healthz()
    assert health.status_code == 503 and health.json()["openmeetings"] == "unreachable"


async def test_tls_failure_names_the_setting_then_the_ca_bundle_fixes_it(
    start_bot: StartBot, slack: SlackSimulator, alice: SlackUser, tmp_path: Path
) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    tls_om = OMSimulator(bad_password_delay=(0.01, 0.02))
    await tls_om.start(ssl_context=context)
    try:
        bot = await start_bot(OPENMEETINGS_URL=tls_om.base_url)
        assert "OpenMeetings is not reachable" in await meet_text(bot, slack, alice)
        health = await bot.healthz()
        assert health.status_code == 503 and "OPENMEETINGS_CA_BUNDLE" in health.json()["reason"]
        bundle = tmp_path / "om.pem"
        ca.cert_pem.write_to_path(str(bundle))
        fixed = await start_bot(OPENMEETINGS_URL=tls_om.base_url, OPENMEETINGS_CA_BUNDLE=str(bundle))
        sent = await fixed.driver.command(alice, "room-5")
        joined = await tls_om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
        assert joined is not None and joined.user.firstname == "Alice"
    finally:
        await tls_om.stop()


async def test_om_timing_out_then_answering_again(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(OPENMEETINGS_TIMEOUT="0.5")
    await om.wait_until(lambda: bot.context.pool.status().fresh > 0)
    om.latency = 2.0
    text = await meet_text(bot, slack, alice)
    assert "OpenMeetings is not reachable: it did not answer in time" in text
    assert (await bot.healthz()).status_code == 503
    om.latency = 0.0
    await assert_recovers(bot, om, slack, alice)


async def test_a_five_second_answer_still_gets_the_person_in(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    first = await bot.driver.command(alice, "room-5")  # warms the pool and the room cache
    await slack.next_message(first.sink)
    await om.wait_until(lambda: bot.context.pool.status().fresh == bot.context.pool.size)
    om.latency = 5.2
    sent = await bot.driver.command(alice, "room-5")
    assert sent.ack.status_code == 200 and sent.elapsed < 1.0
    message = await slack.next_message(sent.sink, timeout=20)
    om.latency = 0.0
    joined = await om.open_join_url(join_button(message)["url"])
    assert joined is not None and joined.user.firstname == "Alice"


def everywhere(response: Callable[[], web.Response]) -> Callable[[web.Request], web.Response | None]:
    return lambda request: response() if request.path.startswith("/openmeetings/services") else None


@pytest.mark.parametrize(
    "fault",
    [
        lambda: web.json_response({"serviceResult": {"message": "error.unknown", "type": "ERROR"}}, status=500),
        lambda: web.Response(status=500, text="<html><h1>HTTP Status 500 - Internal Server Error</h1></html>",
                             content_type="text/html"),
        lambda: web.Response(status=503, text="Service Unavailable"),
        lambda: web.Response(status=200, text='{"serviceResult": {"message": ', content_type="application/json"),
        lambda: web.Response(status=200, text="<html>Loading…</html>", content_type="text/html"),
    ],
    ids=["500-serviceresult", "500-html", "503-proxy", "malformed-json", "html-page"],
)  # fmt: skip
async def test_broken_answers_from_om(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, fault: Callable[[], web.Response]
) -> None:
    om.fault = everywhere(fault)
    text = await meet_text(bot, slack, alice)
    assert "OpenMeetings" in text and ("unexpected answer" in text or "not reachable" in text)
    health = await bot.healthz()
    assert health.status_code == 503 and health.json()["reason"]
    om.fault = None
    await assert_recovers(bot, om, slack, alice)


async def test_sids_expired_early_by_om_are_replaced(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    pool = bot.context.pool
    await om.wait_until(lambda: pool.status().fresh == pool.size)
    for sid in list(om.sessions):
        om.expire_session(sid)
    await assert_recovers(bot, om, slack, alice)


async def test_credentials_changed_while_running_then_fixed(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(OPENMEETINGS_POOL_SIZE="1", OPENMEETINGS_LOGIN_BACKOFF="0.3")
    await assert_recovers(bot, om, slack, alice)
    configured = om.api_user.password
    om.api_user.password = "rotated-by-an-admin"
    om.drop_sessions()  # and OM restarted: every session has to be logged in again
    assert "ask your Slack admin" in await meet_text(bot, slack, alice)
    health = await bot.healthz()
    assert health.status_code == 503 and "refused" in health.json()["reason"]
    om.api_user.password = configured
    await om.wait_until(lambda: bot.context.pool.status().auth_blocked_for == 0)
    await assert_recovers(bot, om, slack, alice)


async def test_soap_right_removed_while_running_then_restored(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    await assert_recovers(bot, om, slack, alice)
    om.api_user.rights.discard("SOAP")
    assert "SOAP" in await meet_text(bot, slack, alice)
    om.api_user.rights.add("SOAP")
    await assert_recovers(bot, om, slack, alice)


async def test_response_url_failing_twice_is_retried(bot: RunningBot, slack: SlackSimulator, alice: SlackUser) -> None:
    slack.response_failures, slack.response_status = 2, 500
    sent = await bot.driver.command(alice, "help")
    await slack.next_message(sent.sink)
    assert sent.sink.attempts == 3


@pytest.mark.parametrize("status", [404, 500])
async def test_response_url_that_keeps_failing_is_given_up_and_logged(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:  # fmt: skip
    slack.response_failures, slack.response_status = 100, status
    sent = await bot.driver.command(alice, "help")
    assert await bot.context.drain(10) == 0  # the reply's work ended by itself: bounded
    assert sent.sink.attempts == (1 if status == 404 else 3)
    assert "response_url post failed" in caplog.text
    assert sent.sink.token not in caplog.text  # a response_url is a credential: never logged
    health = await bot.healthz()
    assert health.json()["slack_api"]["recent_problem"] == f"response_url post failed: HTTP {status}"
    assert sent.sink.token not in health.text
    slack.response_failures = 0
    await assert_recovers(bot, om, slack, alice)


async def test_slow_response_url_still_gets_the_answer(
    bot: RunningBot, slack: SlackSimulator, alice: SlackUser
) -> None:
    slack.latency = 1.5
    sent = await bot.driver.command(alice, "help")
    assert "/meet room-5" in message_text(await slack.next_message(sent.sink, timeout=10))


async def test_users_info_rate_limited_honours_retry_after(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    slack.retry_after = 30
    sent = await bot.driver.command(alice, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.external_id == "T0TEAM001:U0ALICE01"
    assert joined.user.firstname == "alice"  # named from the command payload
    calls = slack.count("users.info")
    sent = await bot.driver.command(bob, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.external_id.endswith(":U0BOB0001")
    assert slack.count("users.info") == calls  # Slack said wait 30 s: no call until then
    health = await bot.healthz()
    assert health.status_code == 200 and health.json()["slack_api"]["recent_problem"] == "users.info rate limited"


async def test_burst_of_200_people_in_one_second(start_bot: StartBot, om: OMSimulator, slack: SlackSimulator) -> None:
    bot = await start_bot(OPENMEETINGS_MAX_LOGINS="4", OPENMEETINGS_POOL_SIZE="8")
    await om.wait_until(lambda: bot.context.pool.status().fresh == 8)
    om.latency = 0.01
    people = [slack.add_user(SlackUser(f"U0B{i:06d}", f"b{i}", real_name=f"Burst {i}")) for i in range(200)]
    sents = await asyncio.gather(*(bot.driver.command(p, "room-1") for p in people))
    assert all(s.ack.status_code == 200 for s in sents)
    messages = await asyncio.gather(*(slack.next_message(s.sink, timeout=60) for s in sents))
    urls = [join_button(m)["url"] for m in messages]
    sids = {om.hashes[u.split("secure=")[1].split("&")[0]].session_sid for u in urls}
    assert len(sids) == 200
    assert om.max_concurrent_logins <= 4
    for person, url in zip(people[:20], urls[:20], strict=True):
        joined = await om.open_join_url(url)
        assert joined is not None and joined.user.external_id.endswith(":" + person.id)


async def test_a_response_url_that_is_not_slacks_gets_nothing(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a signed request reaches the bot, but its response_url is where a join link goes: Slack's hosts only."""
    fields, _ = command_fields(slack, alice, "room-5")
    fields["response_url"] = "https://attacker.example.com/catch"
    body = urlencode(fields)
    assert (await bot.driver.post(body, sign(bot.driver.signing_secret, body))).status_code == 200
    await bot.context.drain(5)
    assert "refused to post to a response_url that is not Slack's" in caplog.text
