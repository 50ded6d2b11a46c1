"""With ``PUBLIC_URL``: Join buttons point at the bot, and the hash is minted when a browser opens the link.

A browser here is an httpx client that does not follow redirects: the bot's 303 is read, and its Location (the OM
join URL) is opened on the OM simulator, as a browser would.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from handlers.tokens import LinkSigner
from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, join_button

PUBLIC = "https://meet-bot.example.org"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


async def link_bot(start_bot: StartBot, **settings: str) -> RunningBot:
    return await start_bot(PUBLIC_URL=PUBLIC, **settings)


def on_bot(bot: RunningBot, url: str) -> str:
    """The bot is reached on loopback here; its links name its public URL."""
    assert url.startswith(PUBLIC + "/join/")
    return bot.url + url.removeprefix(PUBLIC)


async def open_link(bot: RunningBot, url: str, method: str = "GET", agent: str = BROWSER) -> httpx.Response:
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        return await browser.request(method, on_bot(bot, url), headers={"User-Agent": agent})


async def meet_link(bot: RunningBot, slack: SlackSimulator, user: SlackUser, text: str = "room-5") -> str:
    sent = await bot.driver.command(user, text)
    return str(join_button(await slack.next_message(sent.sink))["url"])


async def test_each_persons_link_opens_om_as_that_person(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    await bot.settled(om)
    url_a, url_b = await meet_link(bot, slack, alice), await meet_link(bot, slack, bob)
    assert len(url_a) - len(PUBLIC) < 210 and url_a != url_b
    assert "secure=" not in url_a and bot.context.pool.status().links == 0  # nothing held for an unclicked link
    for url, user in ((url_b, bob), (url_a, alice)):
        response = await open_link(bot, url)
        assert response.status_code in (302, 303)
        location = response.headers["location"]
        assert location.startswith(om.base_url + "/hash?secure=") and "language=" in location
        joined = await om.open_join_url(location)
        assert joined is not None and joined.room_id == 5
        assert joined.user.external_id == f"T0TEAM001:{user.id}"
    assert bot.context.pool.status().links == 0


async def test_the_reply_costs_om_nothing_for_a_known_room(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    await meet_link(bot, slack, alice)  # learns room 5
    await bot.settled(om)
    before = len(om.requests)
    await meet_link(bot, slack, alice)
    assert len(om.requests) == before
    sent = await bot.driver.command(alice, "room-404")  # a room that does not exist is still refused
    assert "does not exist" in str(await slack.next_message(sent.sink))


async def test_a_link_works_once_then_says_it_was_used(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    assert (await open_link(bot, url)).status_code == 303
    hashes = len(om.hashes)
    again = await open_link(bot, url)
    assert again.status_code == 410 and "text/html" in again.headers["content-type"]
    assert "used already" in again.text and "/meet again" in again.text
    assert len(om.hashes) == hashes


async def test_two_tabs_at_once_get_one_hash(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    statuses = sorted(r.status_code for r in await asyncio.gather(*(open_link(bot, url) for _ in range(5))))
    assert statuses == [303, 410, 410, 410, 410]


async def test_expired_and_tampered_links_get_a_page_that_says_so(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot, JOIN_LINK_TTL="600")
    url = await meet_link(bot, slack, alice)
    token = url.rsplit("/", 1)[1]
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    forged = await open_link(bot, url.replace(token, flipped))
    assert forged.status_code == 404 and "not a join link the bot made" in forged.text
    old = LinkSigner(bot.context.config.join_link_key, 600, clock=lambda: time.time() - 601)
    stale, _ = old.sign(bot.context.deps.signer.read(token).who, 5, "", False, epoch="")  # type: ignore[union-attr]
    expired = await open_link(bot, f"{PUBLIC}/join/{stale}")
    assert expired.status_code == 410 and "expired" in expired.text
    other_key = LinkSigner("x" * 40, 600).sign(bot.context.deps.signer.read(token).who, 5, "", False, epoch="")[0]  # type: ignore[union-attr]
    assert (await open_link(bot, f"{PUBLIC}/join/{other_key}")).status_code == 404  # a rotated key ends links
    assert (await open_link(bot, url)).status_code == 303  # none of that spent the real one


async def test_a_room_deleted_since_gets_a_page_saying_so(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    del om.rooms[5]
    response = await open_link(bot, url)
    assert response.status_code == 404 and "no longer exists" in response.text


async def test_opening_a_link_checks_the_room_beside_the_hash_not_before_it(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    await bot.settled(om)
    hashes = om.count("/services/user/hash")
    om.holds["/services/room/5"] = asyncio.Event()
    opening = asyncio.create_task(open_link(bot, url))
    # While OM still holds the room's fresh look-up, the hash has been asked for: the browser waits one round trip.
    await om.wait_until(lambda: om.count("/services/user/hash") == hashes + 1, timeout=5)
    assert not opening.done()
    om.holds.pop("/services/room/5").set()
    response = await opening
    assert response.status_code == 303
    assert (await om.open_join_url(response.headers["location"])) is not None


async def test_a_room_deleted_since_mints_no_link_that_reaches_the_browser(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    del om.rooms[5]
    response = await open_link(bot, url)
    assert response.status_code == 404 and "location" not in response.headers and "secure=" not in response.text
    assert (await open_link(bot, url)).status_code in (404, 410)  # and it stays refused


async def test_head_and_link_previewers_neither_mint_nor_spend(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    hashes = len(om.hashes)
    head = await open_link(bot, url, "HEAD")
    assert head.status_code == 200 and "location" not in head.headers
    for agent in ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slack-ImgProxy (+https://api.slack.com/robots)"):
        preview = await open_link(bot, url, agent=agent)
        assert preview.status_code == 200 and "Open it in your browser" in preview.text
    assert len(om.hashes) == hashes
    assert (await open_link(bot, url)).status_code == 303


async def test_om_down_at_the_click_then_back_the_same_link_works(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await link_bot(start_bot)
    url = await meet_link(bot, slack, alice)
    await bot.settled(om)
    port = om.port
    await om.stop()
    down = await open_link(bot, url)
    assert down.status_code == 503 and "not reachable" in down.text and "Reload this page" in down.text
    await om.start(port=port)
    om.drop_sessions()  # a restarted OM forgets every SID
    back = await open_link(bot, url)
    assert back.status_code == 303
    joined = await om.open_join_url(back.headers["location"])
    assert joined is not None and joined.user.firstname == "Alice"


async def test_a_link_handed_out_before_a_restart_works_after_it(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    first = await link_bot(start_bot)
    url = await meet_link(first, slack, alice)
    await first.stop()
    second = await link_bot(start_bot)
    response = await open_link(second, url)
    assert response.status_code == 303
    joined = await om.open_join_url(response.headers["location"])
    assert joined is not None and joined.room_id == 5


async def test_a_button_opened_long_after_oms_session_timeout_works_without_keep_alive(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    om.idle_timeout = 0.6
    bot = await link_bot(start_bot, OPENMEETINGS_SESSION_TIMEOUT="0.6")
    url = await meet_link(bot, slack, alice)
    logins = om.login_count
    # Every SID the bot held when it answered has idled out in OM since (the pool renews its own).
    await om.wait_until(lambda: len(om.expired_sids) >= 2 and om.login_count > logins + 2, timeout=10)
    assert bot.context.pool.status().keepalives == 0
    response = await open_link(bot, url)
    assert response.status_code == 303
    joined = await om.open_join_url(response.headers["location"])
    assert joined is not None and joined.user.external_id.endswith(":U0ALICE01")
