"""One process's stores: a spent link stays spent for a link's lifetime at least; recent rooms newest first."""

from __future__ import annotations

from bot.memory_store import RECENT, MemoryRecentRooms, MemorySpentLinks
from handlers.rooms import RoomRef
from handlers.tokens import spent_key

HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_link_is_spent_once_and_stays_spent_for_a_lifetime_whenever_it_was_spent() -> None:
    clock = Clock()
    spent = MemorySpentLinks(HOUR, clock=clock)
    early, late = spent_key("early"), spent_key("late")
    assert await spent.claim(early, "")
    clock.now += HOUR - 1  # the late one is spent just before the sets roll
    assert await spent.claim(late, "")
    assert not await spent.claim(early, "")
    clock.now += 2  # rolled: both are in the older set now
    assert not await spent.claim(early, "")
    assert not await spent.claim(late, "")
    clock.now += HOUR - 3  # the late one's lifetime is not over yet
    assert not await spent.claim(late, "")
    clock.now += 2  # rolled again: a lifetime and more since either was spent; their tokens have expired
    assert spent.count == 0


async def test_a_claim_given_back_can_be_claimed_again() -> None:
    spent = MemorySpentLinks(HOUR, clock=Clock())
    key = spent_key("token")
    assert await spent.claim(key, "")
    await spent.release(key)
    assert await spent.claim(key, "")
    assert not await spent.claim(key, "")


async def test_a_long_quiet_spell_forgets_everything_spent_before_it() -> None:
    clock = Clock()
    spent = MemorySpentLinks(HOUR, clock=clock)
    assert await spent.claim(spent_key("token"), "")
    clock.now += 5 * HOUR
    assert await spent.claim(spent_key("other"), "")
    assert spent.count == 1


async def test_recent_rooms_newest_first_without_repeats_and_at_most_recent() -> None:
    recent = MemoryRecentRooms()
    for room_id in [1, 2, 3, 1, *range(10, 20)]:
        await recent.add("T1:U1", RoomRef(room_id, f"Room {room_id}"))
    rooms = await recent.get("T1:U1")
    assert [r.room_id for r in rooms] == list(range(19, 19 - RECENT, -1))
    await recent.add("T1:U1", RoomRef(17, "Room 17"))
    assert [r.room_id for r in await recent.get("T1:U1")] == [17, 19, 18, 16, 15]
    assert await recent.get("T1:U2") == []


async def test_the_people_who_joined_longest_ago_are_forgotten_first() -> None:
    recent = MemoryRecentRooms(people=2)
    await recent.add("T1:U1", RoomRef(1, "One"))
    await recent.add("T1:U2", RoomRef(2, "Two"))
    await recent.add("T1:U1", RoomRef(3, "Three"))  # U1 joined again: U2 is now the one longest ago
    await recent.add("T1:U3", RoomRef(4, "Four"))
    assert await recent.get("T1:U2") == []
    assert [r.room_id for r in await recent.get("T1:U1")] == [3, 1]
    assert [r.room_id for r in await recent.get("T1:U3")] == [4]
