"""REDIS_URL and its settings; the served app with Redis: /healthz, /metrics, TLS, and Redis away and back."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import trustme

from bot.config import Config, ConfigError
from bot.health import MEMORY, StoreHealth, verdict
from tests.bot.test_health import READY
from tests.conftest import SIGNING_SECRET, StartBot, bot_env
from tests.redis_server import RedisServer, TLSFiles
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, buttons, join_button, message_text

PASSWORD = "p4ssw0rd-of-the-redis"
POOL = READY


def config(om: OMSimulator, slack: SlackSimulator, **settings: str) -> Config:
    return Config.from_env(bot_env(om, slack, **settings))


def test_without_redis_url_nothing_of_redis_is_set(om: OMSimulator, slack: SlackSimulator) -> None:
    plain = config(om, slack)
    assert (plain.redis_url, plain.redis_secret, plain.redis_prefix) == ("", "", "")


@pytest.mark.parametrize(
    "url",
    [f"http://:{PASSWORD}@redis.example.org:6379", f"redis://:{PASSWORD}@:6379", f"rediss://:{PASSWORD}@h:port"],
)
def test_a_bad_redis_url_is_refused_without_echoing_it(om: OMSimulator, slack: SlackSimulator, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(om, slack, REDIS_URL=url)
    assert caught.value.setting == "REDIS_URL" and PASSWORD not in str(caught.value)


def test_the_secret_and_prefix_are_derived_alike_for_every_process_of_one_bot(
    om: OMSimulator, slack: SlackSimulator
) -> None:
    url = f"rediss://:{PASSWORD}@redis.example.org:6380"
    one, two = config(om, slack, REDIS_URL=url), config(om, slack, REDIS_URL=url)
    assert one.redis_secret == two.redis_secret and len(one.redis_secret) == 64
    assert one.redis_prefix == two.redis_prefix and one.redis_prefix.startswith("omslack:")
    assert SIGNING_SECRET not in one.redis_secret and one.redis_secret[:12] not in one.redis_prefix
    other = config(om, slack, REDIS_URL=url, SLACK_SIGNING_SECRET="0" * 32)  # another bot
    assert other.redis_secret != one.redis_secret and other.redis_prefix != one.redis_prefix
    own = config(om, slack, REDIS_URL=url, REDIS_SECRET="s" * 32, REDIS_PREFIX="meetbot")
    assert own.redis_secret == "s" * 32 and own.redis_prefix == "meetbot:"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"REDIS_SECRET": "short"}, "REDIS_SECRET"),
        ({"REDIS_PREFIX": "with space"}, "REDIS_PREFIX"),
        ({"REDIS_PREFIX": "x" * 65}, "REDIS_PREFIX"),
        ({"REDIS_CA_BUNDLE": "/nonexistent/ca.pem"}, "REDIS_CA_BUNDLE"),
        ({"REDIS_VERIFY_TLS": "maybe"}, "REDIS_VERIFY_TLS"),
        # Socket Mode needs no signing secret, so REDIS_SECRET must be set.
        ({"SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": "xapp-1-A0-1-abc"}, "REDIS_SECRET"),
    ],
)
def test_each_redis_setting_is_checked_by_name(
    om: OMSimulator, slack: SlackSimulator, settings: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config(om, slack, REDIS_URL="redis://127.0.0.1:6379", **settings)
    assert caught.value.setting == named
    assert "short" not in str(caught.value)


def test_healthz_names_redis_when_it_is_away_without_failing_the_check() -> None:
    status, body = verdict(None, 0.0, POOL, 0, None, None)
    assert body["store"] == "memory" and "redis" not in body
    assert verdict(None, 0.0, POOL, 0, None, None, MEMORY) == (status, body)
    from bot.health import Seen

    seen = Seen(0.0, "ok", None)
    assert verdict(seen, 1.0, POOL, 0, None, None, StoreHealth("redis"))[1] | {} == {
        **verdict(seen, 1.0, POOL, 0, None, None)[1],
        "store": "redis",
        "redis": "ok",
    }
    status, body = verdict(seen, 1.0, POOL, 0, None, None, StoreHealth("redis", "Redis is not reachable"))
    assert status == 200 and body["status"] == "degraded" and body["redis"] == "unreachable"
    assert body["reason"].startswith("Redis is not reachable (REDIS_URL)")
    # OM down as well: unhealthy, and both named.
    status, body = verdict(Seen(0.0, "unreachable", "OM down"), 1.0, POOL, 0, None, None, StoreHealth("redis", "x"))
    assert status == 503 and "OM down" in body["reason"] and "REDIS_URL" in body["reason"]


async def test_the_served_bot_reports_redis_and_its_calls_away_and_back(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, own_redis: RedisServer, alice: SlackUser
) -> None:
    bot = await start_bot(REDIS_URL=own_redis.url, METRICS_ENABLED="true")
    await bot.settled(om)
    health = (await bot.healthz()).json()
    assert (health["store"], health["redis"], health["status"]) == ("redis", "ok", "ok")
    sent = await bot.driver.command(alice, "room-5")
    assert join_button(await slack.next_message(sent.sink))
    own_redis.stop()
    sent = await bot.driver.command(alice, "room-5")
    assert join_button(await slack.next_message(sent.sink))  # answered, with a working link
    response = await bot.healthz()
    assert response.status_code == 200 and response.json()["redis"] == "unreachable"
    assert own_redis.url not in response.text
    metrics = (await bot.http.get(bot.url + "/metrics")).text
    assert 'omslack_redis_command_duration_seconds_count{operation="rate_hit"}' in metrics
    assert 'omslack_redis_errors_total{error="unreachable",operation="rate_hit"}' in metrics
    labels = {line.split("{")[1].split("}")[0] for line in metrics.splitlines() if line.startswith("omslack_redis")}
    assert all("operation=" in label for label in labels)
    own_redis.start()
    assert (await bot.healthz()).json()["redis"] == "ok"  # recovered without a restart
    sent = await bot.driver.command(alice, "room-5")
    assert "going fast" not in message_text(await slack.next_message(sent.sink))


@pytest.fixture
def tls_files(tmp_path: Path) -> TLSFiles:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    files = TLSFiles(tmp_path / "redis.pem", tmp_path / "redis.key", tmp_path / "ca.pem")
    cert.cert_chain_pems[0].write_to_path(files.cert)
    cert.private_key_pem.write_to_path(files.key)
    ca.cert_pem.write_to_path(files.ca)
    return files


@pytest.mark.parametrize("trust", ["bundle", "no-verify", "none"])
async def test_rediss_with_a_private_ca_or_a_self_signed_certificate(
    start_bot: StartBot, om: OMSimulator, tls_files: TLSFiles, trust: str
) -> None:
    server = RedisServer(tls=tls_files)
    server.start()
    try:
        settings = {"REDIS_URL": server.url}
        if trust == "bundle":
            settings["REDIS_CA_BUNDLE"] = str(tls_files.ca)
        elif trust == "no-verify":
            settings["REDIS_VERIFY_TLS"] = "false"  # as for Heroku's Key-Value Store
        bot = await start_bot(**settings)
        await bot.settled(om)
        body = (await bot.healthz()).json()
    finally:
        server.close()
    if trust == "none":
        assert body["redis"] == "unreachable" and "REDIS_CA_BUNDLE" in body["reason"]
    else:
        assert body["redis"] == "ok"


async def test_every_kind_of_link_signed_with_redis_opens_once(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, shared_redis: RedisServer, alice: SlackUser
) -> None:
    """Watch links and the Home tab's Join links carry the store's epoch as /meet's do: each opens once."""
    from tests.scenarios.test_app_home import home_buttons, join_from_home, opened_home
    from tests.scenarios.test_recordings import PUBLIC, recordings_of, watch

    bot = await start_bot(PUBLIC_URL=PUBLIC, REDIS_URL=shared_redis.url)
    recording = om.add_recording(5, name="Monday standup")
    listing = await recordings_of(bot, slack, alice)
    joined = await watch(bot, om, slack, alice, listing)
    assert joined is not None and joined.recording_id == recording.id  # type: ignore[attr-defined]
    view = await opened_home(bot, slack, alice)
    home = await join_from_home(bot, om, slack, alice, view, 5)
    assert home is not None and home.user.external_id == "T0TEAM001:U0ALICE01"
    urls = [buttons(listing, "watch_recording")[0]["url"]]
    urls += [b["url"] for b in home_buttons(view) if json.loads(b["value"])["r"] == 5]
    async with httpx.AsyncClient() as browser:
        for url in urls:
            again = await browser.get(bot.url + url.removeprefix(PUBLIC))
            assert again.status_code == 410 and "used already" in again.text
