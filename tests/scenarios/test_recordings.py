"""``/meet recordings``: a room's recordings, newest first, each with a Watch that opens OM's player as the clicker."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import RunningBot, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, buttons, join_button, message_text

PUBLIC = "https://meet-bot.example.org"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def recordings_of(bot: RunningBot, slack: SlackSimulator, user: SlackUser, text: str = "recordings room-5",
                        **where: str) -> dict[str, object]:  # fmt: skip
    sent = await bot.driver.command(user, text, **where)
    return await slack.next_message(sent.sink)


async def watch(bot: RunningBot, om: OMSimulator, slack: SlackSimulator, user: SlackUser,
                message: dict[str, object], index: int = 0, **where: str) -> object:  # fmt: skip
    """Clicks the index-th Watch as ``user`` and opens what it leads to, as their browser would."""
    button = buttons(message, "watch_recording")[index]
    if "url" in button:
        async with httpx.AsyncClient() as browser:
            opened = await browser.get(bot.url + button["url"].removeprefix(PUBLIC))
        assert opened.status_code == 303
        return await om.open_join_url(opened.headers["location"])
    clicked = await bot.driver.click(user, message, button)
    return await om.open_join_url(join_button(await slack.next_message(clicked.sink))["url"])


@pytest.mark.parametrize("public", [False, True], ids=["hash-ahead", "public-url"])
async def test_processed_processing_and_none(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser, public: bool
) -> None:
    bot = await start_bot(**({"PUBLIC_URL": PUBLIC} if public else {}))
    old = om.add_recording(5, name="Monday standup", start=T0, end=T0 + timedelta(minutes=12, seconds=5))
    new = om.add_recording(5, name="Tuesday standup", start=T0 + timedelta(days=1), end=T0 + timedelta(days=1, hours=1))
    om.add_recording(5, name="Right now", status="CONVERTING", start=T0 + timedelta(days=2))
    om.add_recording(5, name="A folder", folder=True)
    message = await recordings_of(bot, slack, alice)
    text = message_text(message)
    assert text.index("Right now") < text.index("Tuesday standup") < text.index("Monday standup")  # newest first
    assert "still being processed" in text and "A folder" not in text
    assert "12 min 05 s" in text and "1 h 00 min" in text
    assert len(buttons(message, "watch_recording")) == 2  # none for the one being processed
    joined = await watch(bot, om, slack, bob, await recordings_of(bot, slack, bob))
    assert joined is not None and joined.recording_id == new.id  # type: ignore[attr-defined]
    assert joined.user.external_id == "T0TEAM001:U0BOB0001"  # type: ignore[attr-defined]
    mine = await watch(bot, om, slack, alice, await recordings_of(bot, slack, alice), 1)
    assert mine is not None and mine.recording_id == old.id and mine.user.firstname == "Alice"  # type: ignore[attr-defined]
    empty = message_text(await recordings_of(bot, slack, alice, "recordings room-3"))
    assert "has no recordings" in empty


async def test_paging_past_ten(bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser) -> None:
    for n in range(13):
        om.add_recording(5, name=f"Take {n:02d}", start=T0 + timedelta(hours=n), end=T0 + timedelta(hours=n, minutes=5))
    message = await recordings_of(bot, slack, alice)
    assert "page 1 of 2" in message_text(message) and len(buttons(message, "watch_recording")) == 10
    [nxt] = buttons(message, "recordings_page")
    clicked = await bot.driver.click(alice, message, nxt)
    second = await slack.next_message(clicked.sink)
    assert second["replace_original"] is True and "page 2 of 2" in message_text(second)
    assert "Take 00" in message_text(second) and "Take 12" not in message_text(second)


async def test_a_conversation_rooms_recordings_stay_in_that_conversation(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    here = await recordings_of(bot, slack, alice, "recordings", channel="C0PROJECT", channel_name="project")
    room = next(r for r in om.rooms.values() if r.external_id == "T0TEAM001:C0PROJECT")
    om.add_recording(room.id, name="Project kick-off", start=T0, end=T0 + timedelta(minutes=30))
    here = await recordings_of(bot, slack, alice, "recordings", channel="C0PROJECT", channel_name="project")
    assert "Project kick-off" in message_text(here)
    elsewhere = await recordings_of(bot, slack, alice, f"recordings room-{room.id}", channel="C0ELSEWHERE")
    assert "not a public room" in message_text(elsewhere) and not buttons(elsewhere, "watch_recording")
    # The list's own Watch, clicked from another conversation, is refused too.
    [button] = buttons(here, "watch_recording")
    assert json.loads(button["value"])["c"] == "C0PROJECT"
    clicked = await bot.driver.click(alice, here, button)  # the stub's clicks come from C0CHANNEL1
    assert "another conversation" in message_text(await slack.next_message(clicked.sink))
    assert not [h for h in om.hashes.values() if h.recording_id]


async def test_without_the_soap_right_the_person_is_told(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    om.api_user.rights.discard("SOAP")
    text = message_text(await recordings_of(bot, slack, alice))
    assert "lacks the *SOAP* right" in text


async def test_recordings_can_be_turned_off(start_bot: StartBot, om: OMSimulator, slack: SlackSimulator,
                                            alice: SlackUser) -> None:  # fmt: skip
    bot = await start_bot(MEET_RECORDINGS="false")
    assert "turned off" in message_text(await recordings_of(bot, slack, alice))
    assert not [r for r in om.requests if "/record/" in r.path]


async def test_opening_the_watch_link_is_acknowledged_quietly(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    om.add_recording(5, name="Demo", start=T0, end=T0 + timedelta(minutes=3))
    listing = await recordings_of(bot, slack, alice)
    clicked = await bot.driver.click(alice, listing, buttons(listing, "watch_recording")[0])
    personal = await slack.next_message(clicked.sink)
    [link] = buttons(personal, "watch_link")
    assert (await bot.driver.click(alice, personal, link)).ack.status_code == 200
    await bot.context.drain(5)
    assert "after its early ack" not in caplog.text and not clicked.sink.rejected
