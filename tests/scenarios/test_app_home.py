"""The App Home tab: signed ``app_home_opened`` events (HTTP and Socket Mode) publish a view for that person."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.bot.test_socket_mode import SocketBot, slack_socket, start_socket_bot  # noqa: F401 - fixtures
from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator, Room
from tests.simulators.slack import SlackSimulator, SlackUser, view_problem

PUBLIC = "https://meet-bot.example.org"


def home_buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == "home_join"]


async def link_in_modal(slack: SlackSimulator, user: SlackUser, before: int = 0) -> dict[str, Any]:
    """The Join link of the modal opened for ``user``, once it shows one (it opens waiting, then is updated)."""

    def links() -> list[dict[str, Any]]:
        modals = slack.modals.get(user.id, [])[before:]
        return [e for b in (modals[-1]["blocks"] if modals else []) if b["type"] == "actions" for e in b["elements"]]

    await slack.wait_until(lambda: bool(links()))
    assert view_problem(slack.modals[user.id][-1], "modal") is None
    [link] = links()
    return link


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def opened_home(bot: RunningBot, slack: SlackSimulator, user: SlackUser) -> dict[str, Any]:
    before = len(slack.home_views.get(user.id, []))
    ack = await bot.driver.home_opened(user)
    assert ack.status_code == 200
    await slack.wait_until(lambda: len(slack.home_views.get(user.id, [])) > before)
    view = slack.home_views[user.id][-1]
    assert view_problem(view, "home") is None
    return view


async def join_from_home(bot: RunningBot, om: OMSimulator, slack: SlackSimulator, user: SlackUser,
                         view: dict[str, Any], room_id: int) -> Any:  # fmt: skip
    """Clicks Join beside ``room_id`` as ``user`` and opens what it leads to, as their browser would."""
    button = next(b for b in home_buttons(view) if json.loads(b["value"])["r"] == room_id)
    if "url" in button:
        assert button["url"].startswith(PUBLIC + "/join/")
        async with httpx.AsyncClient() as browser:
            opened = await browser.get(bot.url + button["url"].removeprefix(PUBLIC))
        assert opened.status_code == 303
        await bot.driver.home_click(user, button)
        return await om.open_join_url(opened.headers["location"])
    before = len(slack.modals.get(user.id, []))
    assert (await bot.driver.home_click(user, button)).status_code == 200
    link = await link_in_modal(slack, user, before)
    await bot.driver.home_click(user, link)  # Slack tells the bot the link button was clicked
    return await om.open_join_url(link["url"])


@pytest.mark.parametrize("public", [False, True], ids=["hash-ahead", "public-url"])
async def test_the_home_tab_shows_rooms_with_counts_and_join_opens_om_as_the_person(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser, public: bool
) -> None:
    bot = await start_bot(**({"PUBLIC_URL": PUBLIC} if public else {}))
    await om.open_join_url(await _om_url_for(bot, slack, bob, 2))  # someone is in room 2 already
    view = await opened_home(bot, slack, alice)
    text = shown(view)
    assert "Public Room 1" in text and "room 2 · 1 person in it" in text and "room 3 · 0 people in it" in text
    assert "Using /meet" in text and "Bot status" not in text  # Alice is no admin
    joined = await join_from_home(bot, om, slack, alice, view, 3)
    assert joined is not None and joined.room_id == 3 and joined.user.external_id == "T0TEAM001:U0ALICE01"
    assert "secure=" not in shown(view)


async def _om_url_for(bot: RunningBot, slack: SlackSimulator, user: SlackUser, room_id: int) -> str:
    """The OM join URL ``user`` gets from ``/meet room-N`` (through the bot's own link with PUBLIC_URL)."""
    sent = await bot.driver.command(user, f"room-{room_id}")
    url = str((await slack.next_message(sent.sink))["blocks"][1]["elements"][0]["url"])
    if url.startswith(PUBLIC):
        async with httpx.AsyncClient() as browser:
            url = (await browser.get(bot.url + url.removeprefix(PUBLIC))).headers["location"]
    return url


@pytest.mark.parametrize("public", [False, True], ids=["hash-ahead", "public-url"])
async def test_recent_rooms_after_two_joins(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, public: bool
) -> None:
    # Every open publishes here: the tab is opened again "a while later" without waiting for the throttle.
    bot = await start_bot(MEET_HOME_REFRESH="0", **({"PUBLIC_URL": PUBLIC} if public else {}))
    view = await opened_home(bot, slack, alice)
    assert "Your recent rooms" not in shown(view)
    await join_from_home(bot, om, slack, alice, view, 4)
    # A conversation room, joined from a /meet in the channel, counts too.
    sent = await bot.driver.command(alice, "", channel="C0PROJECT", channel_name="project")
    message = await slack.next_message(sent.sink)
    button = message["blocks"][1]["elements"][0]
    if public:
        async with httpx.AsyncClient() as browser:
            assert (await browser.get(bot.url + button["url"].removeprefix(PUBLIC))).status_code == 303
    else:
        await slack.next_message((await bot.driver.click(alice, message)).sink)
    view = await opened_home(bot, slack, alice)
    recent = shown(view).split("Public rooms")[0]
    assert recent.index("#project") < recent.index("Public Room 4")  # newest first


async def test_the_messages_tab_publishes_nothing(bot: RunningBot, slack: SlackSimulator, alice: SlackUser) -> None:
    assert (await bot.driver.home_opened(alice, tab="messages")).status_code == 200
    await bot.context.drain(5)
    assert not slack.home_views and slack.count("views.publish") == 0


async def test_opening_the_tab_again_and_again_publishes_once_a_few_seconds(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    await opened_home(bot, slack, alice)
    requests = len(om.requests)
    for _ in range(5):
        assert (await bot.driver.home_opened(alice)).status_code == 200
    await bot.context.drain(5)
    assert slack.count("views.publish") == 1
    assert len(om.requests) == requests  # nor did it cost OM anything


async def test_three_hundred_rooms_stay_within_a_hundred_blocks(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    for n in range(300):
        om.add_room(Room(1000 + n, f"Team room {n:03d}"))
    view = await opened_home(bot, slack, alice)
    assert len(view["blocks"]) <= 100
    assert "`/meet list` shows every room" in shown(view)


async def test_om_down_the_view_says_so_from_cache(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(MEET_HOME_REFRESH="0")
    await opened_home(bot, slack, alice)
    await om.stop()
    await bot.context.health.probe()  # the background check notices
    requests = len(om.requests)
    view = await opened_home(bot, slack, alice)
    assert len(om.requests) == requests
    text = shown(view)
    assert "not reachable" in text and "This list is from" in text and "Public Room 1" in text


async def test_admins_see_the_bots_status_never_a_secret(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator
) -> None:
    boss = slack.add_user(SlackUser("U0BOSS001", "boss", real_name="Big Boss", is_admin=True))
    bot = await start_bot()
    await bot.settled(om)
    text = shown(await opened_home(bot, slack, boss))
    assert "Bot status" in text and "sessions ready" in text and "9." in text
    assert not [s for s in (*om.sessions, om.api_user.password or "") if s and s in text]


async def test_url_verification_is_answered_with_its_challenge(bot: RunningBot) -> None:
    response = await bot.driver.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status_code == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.text


async def test_over_socket_mode_too(
    start_socket_bot: Any, om: OMSimulator, slack: SlackSimulator, alice: SlackUser  # noqa: F811
) -> None:
    bot: SocketBot = await start_socket_bot()
    await bot.context.pool.refill()
    ack = await bot.driver.home_opened(alice)
    assert "envelope_id" in ack
    await slack.wait_until(lambda: bool(slack.home_views.get(alice.id)))
    view = slack.home_views[alice.id][-1]
    assert view_problem(view, "home") is None and "Public Room 1" in shown(view)
    button = next(b for b in home_buttons(view) if json.loads(b["value"])["r"] == 1)
    await bot.driver.home_click(alice, button)
    link = await link_in_modal(slack, alice)
    joined = await om.open_join_url(link["url"])
    assert joined is not None and joined.room_id == 1 and joined.user.firstname == "Alice"


async def test_a_slow_om_still_gets_the_person_their_link_in_the_modal(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    """Slack honours a trigger_id for 3 s; a login on an empty pool may take longer: the modal opens first."""
    view = await opened_home(bot, slack, alice)
    slack.trigger_lifetime = 0.2
    om.latency = 0.5  # the hash alone outlives the trigger
    button = next(b for b in home_buttons(view) if json.loads(b["value"])["r"] == 2)
    await bot.driver.home_click(alice, button)
    link = await link_in_modal(slack, alice)
    om.latency = 0.0
    joined = await om.open_join_url(link["url"])
    assert joined is not None and joined.room_id == 2
