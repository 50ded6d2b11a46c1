"""The Join button: clicks acked, the spent link replaced, unclicked links kept alive past OM's idle timeout."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, join_button


def secure_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secure"][0]


async def test_click_is_acked_and_message_replaced_with_a_fresh_link(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "room-5")
    first = await slack.next_message(sent.sink)
    first_url = join_button(first)["url"]
    # The browser opens the link and Slack reports the click; both happen at once.
    joined = await om.open_join_url(first_url)
    click = await bot.driver.click(alice, first)
    assert click.ack.status_code == 200
    replaced = await slack.next_message(click.sink)
    assert replaced["replace_original"] is True
    assert replaced["response_type"] == "ephemeral"
    second_url = join_button(replaced)["url"]
    assert secure_of(second_url) != secure_of(first_url)
    assert joined is not None and joined.user.external_id.endswith(":U0ALICE01")
    # The first link is spent (single use); the second works, e.g. from another device.
    assert await om.open_join_url(first_url) is None
    again = await om.open_join_url(second_url)
    assert again is not None and again.user.external_id.endswith(":U0ALICE01") and again.room_id == 5


async def test_second_click_keeps_working(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "room-3")
    message = await slack.next_message(sent.sink)
    for _ in range(3):
        assert await om.open_join_url(join_button(message)["url"]) is not None
        click = await bot.driver.click(alice, message)
        message = await slack.next_message(click.sink)
    assert len({j.hash for j in om.joins}) == 3


async def test_button_opened_after_the_om_idle_timeout_still_lets_the_person_in(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    om.idle_timeout = 1.0
    bot = await start_bot(OPENMEETINGS_SESSION_TIMEOUT="1", JOIN_LINK_TTL="60")
    sent = await bot.driver.command(alice, "room-5")
    message = await slack.next_message(sent.sink)
    url = join_button(message)["url"]
    # A SID logged in now and never used again shows when OM's idle timeout has passed.
    witness = om.login_sid()
    await om.wait_until(lambda: witness in om.expired_sids, timeout=10)
    link_sid = om.hashes[secure_of(url)].session_sid
    assert link_sid in om.sessions, "the unclicked link's SID was not kept alive"
    joined = await om.open_join_url(url)
    assert joined is not None and joined.user.external_id.endswith(":U0ALICE01")
    # The click refreshes the button; that one works too.
    click = await bot.driver.click(alice, message)
    replaced = await slack.next_message(click.sink)
    again = await om.open_join_url(join_button(replaced)["url"])
    assert again is not None and again.user.firstname == "Alice"


async def test_links_are_not_kept_alive_past_join_link_ttl(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    om.idle_timeout = 0.6
    bot = await start_bot(OPENMEETINGS_SESSION_TIMEOUT="0.6", JOIN_LINK_TTL="0.3")
    sent = await bot.driver.command(alice, "room-5")
    url = join_button(await slack.next_message(sent.sink))["url"]
    link_sid = om.hashes[secure_of(url)].session_sid
    await om.wait_until(lambda: link_sid in om.expired_sids, timeout=10)
    assert bot.context.pool.status().links == 0
    assert await om.open_join_url(url) is None


async def test_click_by_someone_else_gets_their_own_link(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "room-5")
    message = await slack.next_message(sent.sink)
    click = await bot.driver.click(bob, message)
    replaced = await slack.next_message(click.sink)
    joined = await om.open_join_url(join_button(replaced)["url"])
    assert joined is not None and joined.user.external_id.endswith(":U0BOB0001")
    # Alice's own link was not forgotten by Bob's click: it is still kept alive for her.
    assert bot.context.pool.status().links == 2


class _GridProfile(SlackUser):
    """A person whose users.info names an Enterprise Grid org while the signed requests name only the workspace."""

    def users_info(self) -> dict[str, Any]:
        info = super().users_info()
        info["enterprise_user"] = {"enterprise_id": "E0ELSEWHERE", "id": self.id}
        return info


async def test_the_clicked_link_is_forgotten_whatever_users_info_says_of_the_org(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator
) -> None:
    carol = slack.add_user(_GridProfile("U0CAROL01", "carol", real_name="Carol Ann"))
    sent = await bot.driver.command(carol, "room-5")
    message = await slack.next_message(sent.sink)
    assert bot.context.pool.status().links == 1
    click = await bot.driver.click(carol, message)
    await slack.next_message(click.sink)
    # Her click spent the first link (no longer kept alive) and got her a fresh one: one link, not two.
    assert bot.context.pool.status().links == 1
    joined = await om.open_join_url(join_button(message)["url"])
    assert joined is not None and joined.user.external_id == "T0TEAM001:U0CAROL01"
