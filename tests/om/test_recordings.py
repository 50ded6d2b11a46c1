"""Recordings against the OM simulator over HTTP: ``GET /record/room/{roomid}``, its wire forms, and the hash that
opens OM's recording player."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from aiohttp import web

from om import (
    ExternalUser,
    OMClient,
    OMMissingRightError,
    OMNotAllowedError,
    OMProtocolError,
    Recording,
    RoomOptions,
    SessionPool,
)
from tests.simulators.om import OMSimulator

START = datetime(2021, 9, 18, 22, 43, 39, tzinfo=UTC)


@pytest.fixture
async def client(om: OMSimulator) -> AsyncIterator[OMClient]:
    async with httpx.AsyncClient() as http:
        yield OMClient(om.base_url, http)


@pytest.fixture
async def sid(om: OMSimulator, client: OMClient) -> str:
    return await client.login(om.api_user.login, om.api_user.password or "")


@pytest.fixture
async def pool(om: OMSimulator, client: OMClient) -> AsyncIterator[SessionPool]:
    pool = SessionPool(client, om.api_user.login, om.api_user.password or "", size=1)
    yield pool
    await pool.close()


def answer(body: Any, status: int = 200) -> Any:
    """A fault that answers /record/room/* with ``body`` (another wire form), leaving the rest to the simulator."""

    def fault(request: web.Request) -> web.Response | None:
        if "/services/record/room/" not in request.path:
            return None
        if body is None:
            return web.Response(status=status)
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    return fault


async def test_processed_processing_and_failed(om: OMSimulator, client: OMClient, sid: str) -> None:
    done = om.add_recording(3, name="Standup", start=START, end=START + timedelta(minutes=5), owner_id=1)
    live = om.add_recording(3, name="Now", status="RECORDING", start=START + timedelta(hours=1))
    converting = om.add_recording(3, name="Converting", status="CONVERTING", owner_id=7)
    broken = om.add_recording(3, name="Broken", status="ERROR")
    om.add_recording(3, name="Archive", folder=True)  # listed by OM, but no recording
    om.add_recording(3, name="Deleted", deleted=True)
    om.add_recording(4, name="Another room")
    recordings = await client.room_recordings(sid, 3)
    assert [r.id for r in recordings] == [done.id, live.id, converting.id, broken.id]  # OM's order: oldest first
    by_id = {r.id: r for r in recordings}
    first = by_id[done.id]
    assert (first.name, first.room_id, first.status, first.owner_id) == ("Standup", 3, "PROCESSED", 1)
    assert [(r.processed, r.processing, r.failed) for r in recordings] == [
        (True, False, False),
        (False, True, False),
        (False, True, False),
        (False, False, True),
    ]
    assert by_id[live.id].end is None and by_id[live.id].length is None  # still recording: no end yet
    assert by_id[converting.id].owner_id == 7
    request = next(r for r in om.requests if r.path == "/services/record/room/3")
    assert request.method == "GET" and request.query == {"sid": sid}


async def test_no_recordings_and_a_room_that_does_not_exist(om: OMSimulator, client: OMClient, sid: str) -> None:
    assert await client.room_recordings(sid, 1) == []
    # OM answers an empty list for a room that does not exist, exactly as for an empty one.
    assert 999 not in om.rooms
    assert await client.room_recordings(sid, 999) == []


async def test_one_recording(om: OMSimulator, client: OMClient, sid: str) -> None:
    rec = om.add_recording(2, name="2024", start=START, end=START + timedelta(seconds=17))
    [only] = await client.room_recordings(sid, 2)
    assert only == Recording(
        id=rec.id,
        name="2024",  # Jettison made it a number
        room_id=2,
        status="PROCESSED",
        start=START,
        end=START + timedelta(seconds=17),
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        # Jettison's nested-list forms: one item as an object, none as no key at all, or a null / empty element.
        (
            {"recordingDTO": {"id": "5", "name": "Solo", "roomId": "2", "status": "PROCESSED", "start": 1632005019000}},
            200,
        ),
        ({}, 200),
        ({"recordingDTO": None}, 200),
        ({"recordingDTO": ""}, 200),
        (None, 204),
    ],
)
async def test_every_wire_form_of_the_list(om: OMSimulator, client: OMClient, sid: str, body: Any, status: int) -> None:
    om.fault = answer(body, status)
    recordings = await client.room_recordings(sid, 2)
    if body and body.get("recordingDTO"):
        assert recordings == [
            Recording(id=5, name="Solo", room_id=2, status="PROCESSED", start=datetime.fromtimestamp(1632005019, UTC))
        ]
    else:
        assert recordings == []


async def test_dates_and_length(om: OMSimulator, client: OMClient, sid: str) -> None:
    om.time_zone = timezone(timedelta(hours=12))  # OM prints dates in its JVM's zone, with the offset
    om.add_recording(5, start=START, end=START + timedelta(minutes=1, seconds=2, milliseconds=500))
    om.add_recording(5, status="RECORDING", start=START)
    done, live = await client.room_recordings(sid, 5)
    assert done.start == START and done.start.utcoffset() == timedelta(hours=12)
    assert done.end is not None and done.end.tzinfo is not None
    assert done.length == 62.5
    assert live.end is None and live.length is None
    om.time_zone = UTC
    again, _ = await client.room_recordings(sid, 5)
    assert again.start == START and again.start.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2021-09-19T10:43:39+12:00", START),
        ("2021-09-18T22:43:39.250Z", START + timedelta(milliseconds=250)),
        ("2021-09-18T22:43:39", START),  # no zone: read as UTC
        (1632005019000, START),  # epoch millis, as DateAdapter writes them elsewhere in OM
        ("1632005019000", START),
        ("not a date", None),
        (True, None),
    ],
)
def test_date_forms(start: object, expected: datetime | None) -> None:
    rec = Recording.from_wire({"id": 1, "status": "PROCESSED", "start": start})
    assert rec.start == expected
    assert rec.start is None or rec.start.tzinfo is not None


def test_length_needs_both_ends_in_order() -> None:
    assert Recording(1, "x", start=START, end=START + timedelta(seconds=17)).length == 17.0
    assert Recording(1, "x", start=START).length is None
    assert Recording(1, "x", end=START).length is None
    assert Recording(1, "x", start=START, end=START - timedelta(seconds=1)).length is None


async def test_api_user_without_the_soap_right(om: OMSimulator, client: OMClient, pool: SessionPool) -> None:
    om.add_recording(1)
    assert len(await pool.with_admin(lambda sid: client.room_recordings(sid, 1))) == 1
    om.api_user.rights.discard("SOAP")
    with pytest.raises(OMMissingRightError) as caught:
        await pool.with_admin(lambda sid: client.room_recordings(sid, 1))
    assert caught.value.right == "SOAP"


async def test_expired_sid_is_not_allowed(om: OMSimulator, client: OMClient, sid: str) -> None:
    om.expire_session(sid)
    with pytest.raises(OMNotAllowedError):
        await client.room_recordings(sid, 1)


@pytest.mark.parametrize(
    "fault",
    [
        lambda request: web.Response(status=404, text="<html>Not Found</html>", content_type="text/html"),
        lambda request: web.json_response({"serviceResult": {"message": "boom", "type": "ERROR"}}, status=500),
        lambda request: web.json_response({"roomDTO": []}),
        lambda request: web.json_response({"recordingDTO": [{"id": "x", "status": "PROCESSED", "start": 1}]}),
        lambda request: web.Response(status=200, text="<html>login</html>", content_type="text/html"),
    ],
)
async def test_answers_that_are_not_a_recording_list(om: OMSimulator, client: OMClient, sid: str, fault: Any) -> None:
    om.fault = fault
    with pytest.raises(OMProtocolError) as caught:
        await client.room_recordings(sid, 1)
    assert sid not in str(caught.value)


async def test_missing_resource_is_named(om: OMSimulator, client: OMClient, sid: str) -> None:
    om.fault = lambda request: web.Response(status=404) if "/record/" in request.path else None
    with pytest.raises(OMProtocolError) as caught:
        await client.room_recordings(sid, 1)
    assert caught.value.status == 404 and "/record/room/{id}" in str(caught.value)


def test_room_options_carry_the_recording_id() -> None:
    assert json.loads(RoomOptions(recording_id=42).to_wire()) == {"moderator": False, "recordingId": 42}
    assert "recordingId" not in json.loads(RoomOptions(room_id=1).to_wire())


async def test_hash_with_a_recording_id_opens_the_player_for_that_person(
    om: OMSimulator, client: OMClient, pool: SessionPool
) -> None:
    done = om.add_recording(3, name="Standup")
    converting = om.add_recording(3, status="CONVERTING")
    alice = ExternalUser("T1:U1", "slack", "Alice", "Liddell", "alice")
    bob = ExternalUser("T1:U2", "slack", "Bob", "Marley", "bob")
    # The listing runs on the lookup SID; each person's hash on a SID of its own.
    [listed, _] = await pool.with_admin(lambda sid: client.room_recordings(sid, 3))
    for_alice = await pool.issue_hash(alice, RoomOptions(recording_id=listed.id), keep_alive=False)
    for_bob = await pool.issue_hash(bob, RoomOptions(recording_id=converting.id), keep_alive=False)
    assert om.hashes[for_alice.hash].recording_id == done.id and om.hashes[for_alice.hash].room_id is None
    joined_bob = await om.open_join_url(f"{om.base_url}/hash?secure={for_bob.hash}&language=1")
    joined_alice = await om.open_join_url(f"{om.base_url}/hash?secure={for_alice.hash}&language=1")
    assert joined_alice is not None and joined_bob is not None
    assert (joined_alice.user.external_id, joined_alice.user.firstname) == ("T1:U1", "Alice")
    assert (joined_alice.recording_id, joined_alice.recording_found, joined_alice.video_shown) == (done.id, True, True)
    assert joined_alice.room_id is None  # the player, not the room
    assert joined_bob.user.external_id == "T1:U2"
    assert (joined_bob.recording_id, joined_bob.recording_found, joined_bob.video_shown) == (converting.id, True, False)
    # Single use, as for rooms.
    assert await om.open_join_url(f"{om.base_url}/hash?secure={for_alice.hash}&language=1") is None


async def test_hash_for_a_recording_that_does_not_exist(om: OMSimulator, pool: SessionPool) -> None:
    issued = await pool.issue_hash(ExternalUser("T1:U1", "slack", "Alice"), RoomOptions(recording_id=999))
    joined = await om.open_join_url(f"{om.base_url}/hash?secure={issued.hash}")
    # OM signs the person in and shows an empty player: no error page, nothing to play.
    assert joined is not None and joined.user.external_id == "T1:U1"
    assert (joined.recording_id, joined.recording_found, joined.video_shown) == (999, False, False)
