"""Watch beside a recording: the clicker's own player link, and only from where the list may be used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers import messages
from handlers.actions import watch_recording
from tests.handlers.conftest import MakeDeps, click
from tests.simulators.om import OMSimulator

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_watch_mints_a_player_link_for_the_clicker(make_deps: MakeDeps, om: OMSimulator) -> None:
    recording = om.add_recording(5, name="Demo", start=T0, end=T0 + timedelta(minutes=3))
    [reply] = await watch_recording.answer(
        click(messages.WATCH_ACTION, {"r": 5, "v": recording.id, "n": "Demo"}), make_deps().deps
    )
    assert reply.outcome == "ok" and "Demo" in reply.message["text"]
    joined = await om.open_join_url(reply.message["blocks"][1]["elements"][0]["url"])
    assert joined is not None and joined.recording_id == recording.id
    assert joined.user.external_id == "T0TEAM001:U0ALICE01"


async def test_a_conversation_rooms_recording_is_refused_from_elsewhere(make_deps: MakeDeps, om: OMSimulator) -> None:
    value = {"r": 5, "v": 1, "c": "C0SOMEWHERE"}  # listed for another conversation than the click's C0CHANNEL1
    [reply] = await watch_recording.answer(click(messages.WATCH_ACTION, value), make_deps().deps)
    assert reply.outcome == "refused" and not om.hashes


async def test_turned_off(make_deps: MakeDeps) -> None:
    harness = make_deps(recordings=False)
    [reply] = await watch_recording.answer(click(messages.WATCH_ACTION, {"r": 5, "v": 1}), harness.deps)
    assert "turned off" in reply.message["text"]
