"""The room directory against the OM simulator: look-ups on the lookup SID, caching, names, external rooms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from om import (
    ExternalUser,
    OMClient,
    OMNotFoundError,
    OMProtocolError,
    Room,
    RoomDefinition,
    RoomDirectory,
    RoomOptions,
    SessionPool,
    match_rooms,
)
from tests.simulators.om import OMSimulator
from tests.simulators.om import Room as SimRoom


@pytest.fixture
async def pool(om: OMSimulator) -> AsyncIterator[SessionPool]:
    async with httpx.AsyncClient() as http:
        pool = SessionPool(OMClient(om.base_url, http), om.api_user.login, om.api_user.password or "", size=1)
        yield pool
        await pool.close()


async def test_lookup_sid_is_never_used_for_a_hash(om: OMSimulator, pool: SessionPool) -> None:
    rooms = RoomDirectory(pool)
    assert (await rooms.get(2)).name == "Public Room 2"
    lookup_sid = next(r.query["sid"] for r in om.requests if r.path == "/services/room/2")
    for _ in range(3):
        await pool.issue_hash(ExternalUser("T:U", "slack", "A"), RoomOptions(room_id=2))
    assert all(h.session_sid != lookup_sid for h in om.hashes.values())
    before = len(om.requests)
    await rooms.get(2)  # cached
    assert len(om.requests) == before


async def test_a_crowd_asking_for_a_room_not_yet_seen_costs_om_one_look_up(om: OMSimulator, pool: SessionPool) -> None:
    rooms = RoomDirectory(pool)
    await pool.refill()
    om.latency = 0.05
    assert {r.name for r in await asyncio.gather(*(rooms.get(2) for _ in range(20)))} == {"Public Room 2"}
    assert om.count("/services/room/2") == 1
    # Fresh look-ups of a crowd (a wave of links opened at once) share one request too, and each is a new one.
    for _ in range(2):
        await asyncio.gather(*(rooms.get(2, fresh=True) for _ in range(20)))
    assert om.count("/services/room/2") == 3
    # One caller giving up does not take the answer from the others; a room gone is gone for all of them.
    del om.rooms[2]
    quitter = asyncio.create_task(rooms.get(2, fresh=True))
    others = [asyncio.create_task(rooms.get(2, fresh=True)) for _ in range(5)]
    await om.wait_until(lambda: om.count("/services/room/2") == 4)
    quitter.cancel()
    for other in others:
        with pytest.raises(OMNotFoundError):
            await other
    assert om.count("/services/room/2") == 4


async def test_public_rooms_of_every_type_are_listed_once_and_cached(om: OMSimulator, pool: SessionPool) -> None:
    om.add_room(SimRoom(id=20, name="Lecture", type="PRESENTATION"))
    om.add_room(SimRoom(id=21, name="Hiring", type="INTERVIEW"))
    om.add_room(SimRoom(id=22, name="Secret", is_public=False))
    rooms = RoomDirectory(pool)
    listed = await rooms.public_rooms()
    assert {r.id for r in listed} == {1, 2, 3, 4, 5, 6, 20, 21}
    before = len(om.requests)
    assert await rooms.find("lecture") == [r for r in listed if r.id == 20]
    assert len(om.requests) == before


async def test_external_room_is_created_once_and_found_again_by_a_new_directory(
    om: OMSimulator, pool: SessionPool
) -> None:
    definition = RoomDefinition(name="#general")
    first = await RoomDirectory(pool).external("slack", "T1:C1", definition)
    again = await RoomDirectory(pool).external("slack", "T1:C1", definition)
    other = await RoomDirectory(pool).external("slack", "T1:C2", RoomDefinition(name="#random"))
    assert first.id == again.id != other.id
    assert om.rooms[first.id].external_id == "T1:C1" and om.rooms[first.id].is_public is False
    assert len([r for r in om.rooms.values() if r.external_id]) == 2


async def test_counts_are_live_and_briefly_cached(om: OMSimulator, pool: SessionPool) -> None:
    rooms = RoomDirectory(pool)
    assert await rooms.counts_by_id([1, 2]) == {1: 0, 2: 0}
    now = [0.0]
    rooms = RoomDirectory(pool, clock=lambda: now[0])
    hash_value = await pool.issue_hash(ExternalUser("T:U", "slack", "A"), RoomOptions(room_id=1))
    await om.open_join_url(f"{om.base_url}/hash?secure={hash_value.hash}")
    assert await rooms.counts_by_id([1]) == {1: 1}


def test_match_rooms_is_case_and_accent_insensitive() -> None:
    rooms = [Room(1, "Équipe Produit"), Room(2, "Equipe Support"), Room(3, "Daily Standup"), Room(4, "daily")]
    assert [r.id for r in match_rooms(rooms, "EQUIPE produit")] == [1]
    assert [r.id for r in match_rooms(rooms, "équipe")] == [1, 2]
    assert [r.id for r in match_rooms(rooms, "DAILY")] == [4]  # an exact name wins over partial ones
    assert [r.id for r in match_rooms(rooms, "stand daily")] == [3]
    assert match_rooms(rooms, "nothing") == [] and match_rooms(rooms, "  ") == []


async def test_a_server_without_the_room_resource_still_gets_links(om: OMSimulator, pool: SessionPool) -> None:
    from aiohttp import web

    om.fault = lambda request: (
        web.Response(status=404) if request.path.startswith("/openmeetings/services/room/") else None
    )
    room = await RoomDirectory(pool).get(5)
    assert (room.id, room.name) == (5, "")
    om.fault = lambda request: web.Response(status=500, text="<html>boom</html>", content_type="text/html")
    with pytest.raises(OMProtocolError):
        await RoomDirectory(pool).get(6)
