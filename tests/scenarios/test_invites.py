"""``/meet room-5 @alice @bob``: each person mentioned gets a DM whose Join brings *them* in, never the inviter."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, buttons, join_button, message_text

PUBLIC = "https://meet-bot.example.org"


@pytest.fixture
def carol(slack: SlackSimulator) -> SlackUser:
    return slack.add_user(SlackUser("U0CAROL01", "carol", real_name="Carol Ann", locale="it-IT"))


async def open_dm_join(bot: RunningBot, om: OMSimulator, slack: SlackSimulator, user: SlackUser) -> object:
    """Opens the Join in the last DM ``user`` got, as ``user``: one click with PUBLIC_URL, else click then link."""
    [dm] = slack.dms[user.id][-1:]
    assert "secure=" not in json.dumps(dm.blocks), "a join URL sits in a DM"
    button = dm.blocks[1]["elements"][0]
    if "url" in button:
        assert button["url"].startswith(PUBLIC + "/join/")
        async with httpx.AsyncClient() as browser:
            opened = await browser.get(bot.url + button["url"].removeprefix(PUBLIC))
        assert opened.status_code == 303
        return await om.open_join_url(opened.headers["location"])
    clicked = await bot.driver.click(user, {"response_type": "ephemeral", "blocks": dm.blocks}, button)
    return await om.open_join_url(join_button(await slack.next_message(clicked.sink))["url"])


@pytest.mark.parametrize("public", [False, True], ids=["hash-ahead", "public-url"])
async def test_two_people_mentioned_each_get_a_dm_that_opens_om_as_themselves(
    start_bot: StartBot,
    om: OMSimulator,
    slack: SlackSimulator,
    alice: SlackUser,
    bob: SlackUser,
    carol: SlackUser,
    public: bool,
) -> None:
    bot = await start_bot(**({"PUBLIC_URL": PUBLIC} if public else {}))
    sent = await bot.driver.command(alice, "room-5 <@U0BOB0001|bob> <@U0CAROL01>")
    own, report = await slack.next_message(sent.sink), await slack.next_message(sent.sink, 1)
    assert "Join" in message_text(own)
    assert "Invited by direct message: <@U0BOB0001>, <@U0CAROL01>." in message_text(report)
    for user in (bob, carol):
        [dm] = slack.dms[user.id]
        assert "<@U0ALICE01> invites you to *Public Room 5*" in json.dumps(dm.blocks)
        joined = await open_dm_join(bot, om, slack, user)
        assert joined is not None and joined.user.external_id == f"T0TEAM001:{user.id}"  # type: ignore[attr-defined]
        assert joined.room_id == 5  # type: ignore[attr-defined]
    assert not [m for sink in slack.sinks.values() for m in sink.rejected]


async def test_a_mix_of_people_gets_one_precise_reply(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    slack.add_user(SlackUser("U0GONE001", "gone", deleted=True))
    slack.add_user(SlackUser("U0ROBOT01", "robot", is_bot=True))
    slack.add_user(SlackUser("U0GUEST01", "guest", is_restricted=True))
    slack.add_user(SlackUser("U0OUTSIDE", "outsider", team_id="T0PARTNER"))
    text = "room-5 <@U0BOB0001> <@U0GONE001> <@U0ROBOT01> <@U0GUEST01> <@U0OUTSIDE> <@U0NOBODY1> <@U0ALICE01>"
    sent = await bot.driver.command(alice, text + " <@U0BOB0001|bob>")
    report = message_text(await slack.next_message(sent.sink, 1))
    assert "Invited by direct message: <@U0BOB0001>." in report
    for line in (
        "<@U0GONE001>: deactivated",
        "<@U0ROBOT01>: a bot",
        "<@U0GUEST01>: a guest, and guests can't use /meet here",
        "<@U0OUTSIDE>: outside this workspace (Slack Connect)",
        "<@U0NOBODY1>: not found in this workspace",
    ):
        assert line in report
    assert "U0ALICE01" not in report  # inviting yourself is harmless: no DM, no complaint
    assert list(slack.dms) == ["U0BOB0001"] and len(slack.dms["U0BOB0001"]) == 1  # and twice is once


async def test_more_than_twenty_are_cut_and_each_counts_against_the_rate_limit(
    start_bot: StartBot, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(MEET_RATE_LIMIT="100")
    people = [slack.add_user(SlackUser(f"U0MANY{n:03d}", f"many{n}")) for n in range(21)]
    mentions = " ".join(f"<@{p.id}|{p.name}>" for p in people)
    sent = await bot.driver.command(alice, f"room-5 {mentions}")
    report = message_text(await slack.next_message(sent.sink, 1))
    assert len(slack.dms) == 20
    assert f"<@{people[20].id}>: more than 20 people at once" in report
    limited = await start_bot(MEET_RATE_LIMIT="3")
    sent = await limited.driver.command(alice, "room-5 " + " ".join(f"<@{p.id}>" for p in people[:4]))
    report = message_text(await slack.next_message(sent.sink, 1))
    # The /meet itself and two invitations make three.
    assert "Invited by direct message: <@U0MANY000>, <@U0MANY001>." in report
    assert "<@U0MANY002>: you're going fast" in report and "<@U0MANY003>: you're going fast" in report


async def test_a_name_typed_without_the_autocomplete_gets_a_hint(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "room-5 @bob")
    text = message_text(await slack.next_message(sent.sink))
    assert "`@bob` is only text to Slack" in text and "pick the person" in text
    assert not slack.dms and not om.hashes


async def test_the_conversations_room_with_mentions_only(
    bot: RunningBot, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "<@U0BOB0001|bob>")
    assert "Join" in message_text(await slack.next_message(sent.sink))
    [dm] = slack.dms["U0BOB0001"]
    assert "#general" in json.dumps(dm.blocks)
    assert [b["action_id"] for b in buttons({"blocks": dm.blocks})] == ["pick_room"]
