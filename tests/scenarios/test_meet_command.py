"""``/meet`` end to end: signed slash commands into the served bot, OM and Slack simulated over HTTP."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, join_button, message_text


def secure_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secure"][0]


async def test_meet_room_replies_ephemeral_join_button_that_opens_om_as_that_person(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "room-5")
    assert sent.ack.status_code == 200
    message = await slack.next_message(sent.sink)
    assert message["response_type"] == "ephemeral"
    button = join_button(message)
    assert button["style"] == "primary"
    assert button["text"]["text"].startswith("Join")
    url = button["url"]
    assert url.startswith(om.base_url + "/hash?secure=")
    assert parse_qs(urlsplit(url).query)["language"] == ["2"]  # Alice's Slack locale is de-DE

    joined = await om.open_join_url(url)
    assert joined is not None
    assert joined.room_id == 5
    assert (joined.user.firstname, joined.user.lastname) == ("Alice", "Liddell")
    assert joined.user.email == "alice@example.com"
    assert joined.user.external_id == "T0TEAM001:U0ALICE01"
    assert joined.user.external_type == "slack"
    assert joined.user.login == "alice"
    assert joined.user.picture_uri == "https://avatars.example.com/U0ALICE01_192.png"
    assert joined.moderator is False
    assert len(sent.sink.messages) == 1


async def test_plain_number_means_room_id(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, bob: SlackUser
) -> None:
    sent = await bot.driver.command(bob, "3")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.room_id == 3
    # "Bob Marley" has no first/last name fields: the real name is split.
    assert (joined.user.firstname, joined.user.lastname) == ("Bob", "Marley")
    assert joined.language == 4  # fr-FR


async def test_two_people_before_either_clicks_each_enters_as_themselves(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    sent_a, sent_b = await asyncio.gather(bot.driver.command(alice, "room-5"), bot.driver.command(bob, "room-5"))
    url_a = join_button(await slack.next_message(sent_a.sink))["url"]
    url_b = join_button(await slack.next_message(sent_b.sink))["url"]
    hash_a, hash_b = secure_of(url_a), secure_of(url_b)
    # The hazard: hashes made on one SID all log in as that SID's last user.
    assert om.hashes[hash_a].session_sid != om.hashes[hash_b].session_sid
    # Open in the order most likely to expose a shared SID: the later link first.
    joined_b = await om.open_join_url(url_b)
    joined_a = await om.open_join_url(url_a)
    assert joined_a is not None and joined_b is not None
    assert joined_a.user.external_id.endswith(":U0ALICE01")
    assert joined_b.user.external_id.endswith(":U0BOB0001")
    assert joined_a.user.firstname == "Alice" and joined_b.user.firstname == "Bob"


async def test_every_link_is_made_on_its_own_sid(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sents = [await bot.driver.command(alice, "room-1") for _ in range(6)]
    urls = [join_button(await slack.next_message(s.sink))["url"] for s in sents]
    sids = [om.hashes[secure_of(u)].session_sid for u in urls]
    assert len(set(sids)) == len(sids)


async def test_hot_path_is_one_om_request_once_the_pool_is_warm(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    first = await bot.driver.command(alice, "room-2")
    await slack.next_message(first.sink)
    pool = bot.context.pool
    await om.wait_until(lambda: pool.status().fresh == pool.size and om.concurrent_logins == 0)
    before = len(om.requests)
    sent = await bot.driver.command(alice, "room-2")
    await slack.next_message(sent.sink)
    new = om.requests[before:]
    hashes = [r for r in new if r.path == "/services/user/hash"]
    assert len(hashes) == 1
    # Nothing else went to OM before or alongside the hash request; refill logins come after it.
    assert [r for r in new if r.t_start <= hashes[0].t_start] == hashes


@pytest.mark.parametrize("text", ["help", "HELP", "  ?  "])
async def test_help_shows_usage(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, text: str
) -> None:
    before = om.count("/services/user/hash")
    sent = await bot.driver.command(alice, text)
    message = await slack.next_message(sent.sink)
    assert message["response_type"] == "ephemeral"
    assert "/meet room-5" in message_text(message)
    assert om.count("/services/user/hash") == before


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("rooom 5", "`rooom 5`"),
        ("<!channel> hi", "`&lt;!channel&gt; hi`"),
        ("&lt;@U123&gt; `x`", "`&lt;@U123&gt; 'x'`"),
        ("room-0", "`room-0`"),
        ("5 6", "`5 6`"),
    ],
)
async def test_unparsable_text_quotes_it_back_inert_with_usage(
    bot: RunningBot, slack: SlackSimulator, alice: SlackUser, typed: str, shown: str
) -> None:
    sent = await bot.driver.command(alice, typed)
    text = message_text(await slack.next_message(sent.sink))
    assert shown in text
    assert "/meet room-5" in text
    assert "<!channel>" not in text


async def test_meet_alone_shows_usage_without_default_or_channel_rooms(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(MEET_CHANNEL_ROOMS="false")
    sent = await bot.driver.command(alice, "")
    message = await slack.next_message(sent.sink)
    assert message["response_type"] == "ephemeral"
    assert "/meet room-5" in message_text(message)
    assert om.count("/services/user/hash") == 0


async def test_meet_alone_uses_default_room(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(MEET_DEFAULT_ROOM="room-4")
    sent = await bot.driver.command(alice, "")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.room_id == 4


async def test_room_that_does_not_exist_is_named(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sent = await bot.driver.command(alice, "room-4242")
    message = await slack.next_message(sent.sink)
    assert message["response_type"] == "ephemeral"
    assert "Room 4242 does not exist" in message_text(message)
    assert om.count("/services/user/hash") == 0


async def test_moderators_listed_by_id_get_the_flag(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    bot = await start_bot(MEET_MODERATORS=f" {alice.id} ,U0SOMEONE")
    sent_a = await bot.driver.command(alice, "1")
    sent_b = await bot.driver.command(bob, "1")
    joined_a = await om.open_join_url(join_button(await slack.next_message(sent_a.sink))["url"])
    joined_b = await om.open_join_url(join_button(await slack.next_message(sent_b.sink))["url"])
    assert joined_a is not None and joined_a.moderator is True
    assert joined_b is not None and joined_b.moderator is False


async def test_workspace_admins_are_moderators_only_when_enabled(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, bob: SlackUser
) -> None:
    bob.is_admin = True
    off = await start_bot()
    on = await start_bot(MEET_ADMINS_ARE_MODERATORS="true")
    sent_off = await off.driver.command(bob, "1")
    sent_on = await on.driver.command(bob, "1")
    joined_off = await om.open_join_url(join_button(await slack.next_message(sent_off.sink))["url"])
    joined_on = await om.open_join_url(join_button(await slack.next_message(sent_on.sink))["url"])
    assert joined_off is not None and joined_off.moderator is False
    assert joined_on is not None and joined_on.moderator is True


async def test_users_info_failure_still_lets_the_person_in_named_from_the_payload(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    slack.users_info_status = 500
    sent = await bot.driver.command(alice, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None
    assert joined.user.external_id == "T0TEAM001:U0ALICE01"
    assert joined.user.firstname == "alice"
    assert joined.language == 1  # OPENMEETINGS_LANGUAGE default


async def test_users_info_is_cached_per_user(bot: RunningBot, slack: SlackSimulator, alice: SlackUser) -> None:
    for _ in range(3):
        sent = await bot.driver.command(alice, "room-1")
        await slack.next_message(sent.sink)
    calls = [c for c in slack.calls if c.method == "users.info"]
    assert len(calls) == 1
    assert calls[0].params == {"user": alice.id, "include_locale": "true"}
    assert calls[0].authorization == f"Bearer {slack.bot_token}"


async def test_enterprise_grid_person_is_one_om_user_across_workspaces(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator
) -> None:
    slack.enterprise_id = "E0GRID001"  # an org-wide install: auth.test names the enterprise
    bot = await start_bot()
    carol = slack.add_user(
        SlackUser(
            "W0CAROL01",
            "carol",
            team_id="T0OTHER01",
            enterprise_id="E0GRID001",
            first_name="Carol",
            last_name="Danvers",
        )
    )
    sent = await bot.driver.command(carol, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.external_id == "E0GRID001:W0CAROL01"


async def test_configured_external_type_and_language(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator
) -> None:
    dave = slack.add_user(SlackUser("U0DAVE001", "dave", real_name="Dave", locale="xx-YY"))
    bot = await start_bot(OPENMEETINGS_EXTERNAL_TYPE="acme-slack", OPENMEETINGS_LANGUAGE="9")
    sent = await bot.driver.command(dave, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None
    assert joined.user.external_type == "acme-slack"
    assert joined.language == 9
