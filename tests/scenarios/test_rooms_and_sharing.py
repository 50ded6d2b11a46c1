"""Rooms people can find: names, a room per conversation, /meet list, meetings shared in a channel."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator, Room
from tests.simulators.slack import SlackSimulator, SlackUser, buttons, join_button, message_text


def add_named_rooms(om: OMSimulator) -> None:
    om.add_room(Room(id=31, name="Équipe Produit"))
    om.add_room(Room(id=32, name="Equipe Support", type="PRESENTATION"))
    om.add_room(Room(id=33, name="Daily Standup", type="INTERVIEW"))
    om.add_room(Room(id=34, name="Board", is_public=False))


async def test_a_room_by_name_case_and_accent_insensitive(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    add_named_rooms(om)
    bot = await start_bot()
    for typed in ("equipe PRODUIT", "ÉQUIPE produit", "standup"):
        sent = await bot.driver.command(alice, typed)
        joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
        assert joined is not None
        assert joined.room_id == (33 if typed == "standup" else 31)
        assert joined.user.firstname == "Alice"


async def test_a_name_with_several_matches_offers_the_candidates(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    add_named_rooms(om)
    bot = await start_bot()
    sent = await bot.driver.command(alice, "equipe")
    message = await slack.next_message(sent.sink)
    assert message["response_type"] == "ephemeral"
    choices = buttons(message, "pick_room")
    assert [json.loads(b["value"])["r"] for b in choices] == [31, 32]
    assert all("url" not in b for b in choices)
    assert om.count("/services/user/hash") == 0
    click = await bot.driver.click(alice, message, choices[1])
    picked = await slack.next_message(click.sink)
    assert picked["replace_original"] is True
    joined = await om.open_join_url(join_button(picked)["url"])
    assert joined is not None and joined.room_id == 32 and joined.user.firstname == "Alice"


async def test_a_name_with_no_match_says_so_and_suggests_list(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    add_named_rooms(om)
    bot = await start_bot()
    for typed in ("boardroom", "Board"):  # "Board" exists but is not public: not offered
        sent = await bot.driver.command(alice, typed)
        text = message_text(await slack.next_message(sent.sink))
        assert f"No room is named `{typed}`" in text
        assert "/meet list" in text
    assert om.count("/services/user/hash") == 0


async def test_room_list_is_fetched_once_not_per_command(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    for typed in ("public room 1", "public room 2", "list"):
        sent = await bot.driver.command(alice, typed)
        await slack.next_message(sent.sink)
    assert om.count("/services/room/public/CONFERENCE") == 1


async def test_conversation_room_is_created_once_and_reused_also_after_a_restart(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    bot = await start_bot()
    sent_a = await bot.driver.command(alice, "", channel="C0PROJECT1", channel_name="project-x")
    url_a = join_button(await slack.next_message(sent_a.sink))["url"]
    restarted = await start_bot()  # a new process: nothing cached, OM holds the room
    sent_b = await restarted.driver.command(bob, "", channel="C0PROJECT1", channel_name="project-x")
    url_b = join_button(await slack.next_message(sent_b.sink))["url"]
    channel_rooms = [r for r in om.rooms.values() if r.external_id]
    assert len(channel_rooms) == 1
    room = channel_rooms[0]
    assert (room.name, room.external_id, room.external_type, room.is_public) == (
        "#project-x",
        "T0TEAM001:C0PROJECT1",
        "slack",
        False,
    )
    for url in (url_a, url_b):
        record = om.hashes[parse_qs(urlsplit(url).query)["secure"][0]]
        assert (record.external_room_id, record.external_type) == ("T0TEAM001:C0PROJECT1", "slack")
    joined_a, joined_b = await om.open_join_url(url_a), await om.open_join_url(url_b)
    assert joined_a is not None and joined_b is not None
    assert joined_a.room_id == joined_b.room_id == room.id
    assert (joined_a.user.firstname, joined_b.user.firstname) == ("Alice", "Bob")


async def test_two_conversations_never_share_a_room_and_dms_get_their_own(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    rooms = []
    for channel, name in (("C0AAAAAA1", "alpha"), ("C0BBBBBB2", "alpha"), ("D0DIRECT1", "directmessage")):
        sent = await bot.driver.command(alice, "", channel=channel, channel_name=name)
        joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
        assert joined is not None and joined.room_id is not None
        rooms.append(om.rooms[joined.room_id])
    assert len({r.id for r in rooms}) == 3
    assert rooms[2].name == "Slack conversation D0DIRECT1"


async def test_a_conversation_room_is_not_entered_by_its_number_from_elsewhere(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "", channel="C0SECRET01", channel_name="privategroup")
    await slack.next_message(sent.sink)
    [secret] = [r for r in om.rooms.values() if r.external_id]
    om.add_room(Room(id=90, name="Moodle course", external_id="course-7", external_type="moodle"))
    hashes = len(om.hashes)
    for number in (secret.id, 90):
        # Bob is not in the private channel: its room's number, typed anywhere else, gets him nowhere.
        sent = await bot.driver.command(bob, f"room-{number}", channel="C0GENERAL1", channel_name="general")
        reply = await slack.next_message(sent.sink)
        assert f"Room {number} belongs to another Slack conversation or to another application" in message_text(reply)
        assert not buttons(reply)
    assert len(om.hashes) == hashes
    # In the conversation itself, its number opens its room.
    sent = await bot.driver.command(alice, f"room-{secret.id}", channel="C0SECRET01", channel_name="privategroup")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.room_id == secret.id and joined.user.firstname == "Alice"


async def test_default_room_setting_wins_over_the_conversation_room(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(MEET_DEFAULT_ROOM="2")
    sent = await bot.driver.command(alice, "")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.room_id == 2
    assert not [r for r in om.rooms.values() if r.external_id]


async def test_list_shows_live_counts_and_each_join_is_personal(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    for person in (alice, bob):
        sent = await bot.driver.command(person, "room-3")
        assert await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"]) is not None
    sent = await bot.driver.command(alice, "list")
    message = await slack.next_message(sent.sink)
    text = message_text(message)
    assert "Public Room 3* · room 3 · 2 people in it" in text
    assert "Public Room 1* · room 1 · 0 people in it" in text
    joins = buttons(message, "pick_room")
    assert len(joins) == 6
    click = await bot.driver.click(bob, message, joins[4])
    reply = await slack.next_message(click.sink)
    assert not reply.get("replace_original")  # the list stays
    joined = await om.open_join_url(join_button(reply)["url"])
    assert joined is not None and joined.room_id == 5 and joined.user.firstname == "Bob"


async def test_list_of_200_rooms_is_paged(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    for i in range(200):
        om.add_room(Room(id=100 + i, name=f"Team room {i:03d} " + "with a long descriptive name " * 3))
    bot = await start_bot()
    sent = await bot.driver.command(alice, "list")
    message = await slack.next_message(sent.sink)
    assert len(message["blocks"]) <= 50
    assert "(206) · page 1 of 11" in message_text(message)
    counted = [r for r in om.requests if r.path.startswith("/services/room/count/")]
    assert len(counted) == 20  # only the rooms shown are counted
    nav = buttons(message, "list_page")
    assert [b["text"]["text"] for b in nav] == ["Next →"]
    click = await bot.driver.click(alice, message, nav[0])
    page2 = await slack.next_message(click.sink)
    assert page2["replace_original"] is True
    assert "page 2 of 11" in message_text(page2)
    assert len(page2["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in page2["blocks"] if b["type"] == "section")
    assert [b["text"]["text"] for b in buttons(page2, "list_page")] == ["← Previous", "Next →"]


async def test_shared_meeting_is_joined_by_two_others_each_as_themselves(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    carol = slack.add_user(SlackUser("U0CAROL01", "carol", first_name="Carol", last_name="Danvers"))
    sent = await bot.driver.command(alice, "room-5")
    mine = await slack.next_message(sent.sink)
    share = buttons(mine, "share_room")
    assert len(share) == 1 and "url" not in share[0]
    click = await bot.driver.click(alice, mine, share[0])
    assert click.ack.status_code == 200
    # The invitation goes through the command's own response_url, in the channel.
    invite = await slack.next_message(sent.sink, index=1)
    assert invite["response_type"] == "in_channel"
    assert "<@U0ALICE01> invites you" in message_text(invite)
    assert "secure=" not in json.dumps(invite)
    for person in (bob, carol):
        joined_click = await bot.driver.click(person, invite, buttons(invite, "pick_room")[0])
        reply = await slack.next_message(joined_click.sink)
        assert reply["response_type"] == "ephemeral" and not reply.get("replace_original")
        joined = await om.open_join_url(join_button(reply)["url"])
        assert joined is not None and joined.room_id == 5
        assert joined.user.external_id == f"T0TEAM001:{person.id}"
    # Alice's own link is still hers.
    joined = await om.open_join_url(join_button(mine)["url"])
    assert joined is not None and joined.user.firstname == "Alice"


async def test_share_in_one_step(bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser) -> None:
    sent = await bot.driver.command(alice, "Public Room 4 share")
    mine = await slack.next_message(sent.sink)
    invite = await slack.next_message(sent.sink, index=1)
    assert mine["response_type"] == "ephemeral"
    assert invite["response_type"] == "in_channel" and "Public Room 4" in message_text(invite)
    joined = await om.open_join_url(join_button(mine)["url"])
    assert joined is not None and joined.room_id == 4


async def test_help_lists_every_form(bot: RunningBot, slack: SlackSimulator, alice: SlackUser) -> None:
    sent = await bot.driver.command(alice, "help")
    text = message_text(await slack.next_message(sent.sink))
    for form in ("/meet room-5", "/meet 5", "/meet standup", "/meet list", "share", "/meet help", "`/meet`"):
        assert form in text
