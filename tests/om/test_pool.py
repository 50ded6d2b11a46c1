"""The SID pool against the OM simulator: one hash per SID, renewal, keep-alive, back-off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from om import (
    ExternalUser,
    IssuedHash,
    OMBadCredentialsError,
    OMClient,
    OMError,
    OMMissingRightError,
    RoomOptions,
    SessionPool,
)
from tests.simulators.om import OMSimulator

ALICE = ExternalUser("T1:U1", "slack", "Alice")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def make_pool(om: OMSimulator, http: httpx.AsyncClient, password: str | None = None, **kwargs: Any) -> SessionPool:
    client = OMClient(om.base_url, http)
    return SessionPool(client, om.api_user.login, password or om.api_user.password or "", **kwargs)


async def test_refill_fills_to_size_and_each_hash_takes_its_own_sid(om: OMSimulator, http: httpx.AsyncClient) -> None:
    pool = make_pool(om, http, size=3)
    await pool.refill()
    assert pool.status().fresh == 3
    issued = [await pool.issue_hash(ALICE, RoomOptions(room_id=1)) for _ in range(5)]
    sids = [om.hashes[i.hash].session_sid for i in issued]
    assert len(set(sids)) == 5
    await pool.close()


async def test_aged_fresh_sids_are_renewed_by_the_job(om: OMSimulator, http: httpx.AsyncClient) -> None:
    now = [1000.0]
    pool = make_pool(om, http, size=2, session_timeout=100.0, clock=lambda: now[0])
    await pool.refill()
    first = om.count("/services/user/login")
    now[0] += 49.0
    await pool.maintain()
    assert om.count("/services/user/login") == first
    now[0] += 2.0  # past session_timeout / 2
    await pool.maintain()
    assert om.count("/services/user/login") == first + 2
    assert pool.status().renewals == 2
    await pool.close()


async def test_unclicked_links_are_pinged_and_dropped_once_opened(om: OMSimulator, http: httpx.AsyncClient) -> None:
    now = [1000.0]
    pool = make_pool(om, http, size=1, session_timeout=90.0, link_ttl=1000.0, clock=lambda: now[0])
    issued = await pool.issue_hash(ALICE, RoomOptions(room_id=3))
    sid = om.hashes[issued.hash].session_sid
    now[0] += 31.0
    await pool.maintain()
    pings = [r for r in om.requests if r.query.get("sid") == sid and r.path == "/services/room/3"]
    assert len(pings) == 1 and pool.status().keepalives == 1
    await om.open_join_url(f"{om.base_url}/hash?secure={issued.hash}")
    now[0] += 31.0
    await pool.maintain()  # the SID is the person's now: OM says notallowed, the link is let go
    assert pool.status().links == 0
    await pool.close()


async def test_wrong_password_is_not_retried_until_the_back_off_ends(om: OMSimulator, http: httpx.AsyncClient) -> None:
    now = [1000.0]
    pool = make_pool(om, http, password="wrong", size=2, clock=lambda: now[0])
    with pytest.raises(OMBadCredentialsError):
        await pool.issue_hash(ALICE, RoomOptions(room_id=1))
    tried = om.count("/services/user/login")
    await pool.maintain()
    with pytest.raises(OMBadCredentialsError):
        await pool.issue_hash(ALICE, RoomOptions(room_id=1))
    assert om.count("/services/user/login") == tried
    assert pool.status().auth_blocked_for > 0
    om.api_user.password = "wrong"  # the admin aligns OM with the bot's setting
    now[0] += 16.0
    await pool.refill()
    assert pool.status().fresh == 2 and pool.status().auth_blocked_for == 0
    await pool.close()


async def test_missing_soap_right_after_a_fresh_login_is_a_rights_error(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    pool = make_pool(om, http, size=1)
    om.api_user.rights.discard("SOAP")
    with pytest.raises(OMMissingRightError) as caught:
        await pool.issue_hash(ALICE, RoomOptions(room_id=1))
    assert caught.value.right == "SOAP"
    assert om.count("/services/user/hash") == 2  # tried once, logged in again, tried once more
    await pool.close()


async def test_the_refill_for_a_stocked_pool_waits_for_the_hashes_in_flight(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    pool = make_pool(om, http, size=2, refill_hold=60.0)
    await pool.refill()
    warm = om.count("/services/user/login")
    om.holds["/services/user/hash"] = asyncio.Event()  # OM is slow to make hashes
    issuing = [asyncio.create_task(pool.issue_hash(ALICE, RoomOptions(room_id=1))) for _ in range(2)]
    await om.wait_until(lambda: om.count("/services/user/hash") == 2)
    # Both SIDs are out; their logins wait, so they don't queue beside the hashes people wait for.
    assert not pool._tasks.refills
    assert om.count("/services/user/login") == warm
    om.holds["/services/user/hash"].set()
    issued = await asyncio.gather(*issuing)
    await om.wait_until(lambda: pool.status().fresh == 2)
    assert om.count("/services/user/login") == warm + 2
    assert len({om.hashes[i.hash].session_sid for i in issued}) == 2
    await pool.close()


async def test_hashes_slow_to_answer_hold_the_refill_for_refill_hold_at_most(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    pool = make_pool(om, http, size=2, refill_hold=0.05)
    await pool.refill()
    warm = om.count("/services/user/login")
    om.holds["/services/user/hash"] = asyncio.Event()
    issuing = [asyncio.create_task(pool.issue_hash(ALICE, RoomOptions(room_id=1))) for _ in range(2)]
    # The hashes are still being made, and the pool is refilled all the same.
    await om.wait_until(lambda: om.count("/services/user/login") == warm + 2 and pool.status().fresh == 2)
    assert om.count("/services/user/hash") == 2
    om.holds["/services/user/hash"].set()
    issued = await asyncio.gather(*issuing)
    assert len({om.hashes[i.hash].session_sid for i in issued}) == 2
    await pool.close()


async def test_the_sid_is_taken_while_the_person_and_the_room_are_looked_up(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    pool = make_pool(om, http, size=1)
    looked_up: asyncio.Future[tuple[ExternalUser, RoomOptions]] = asyncio.get_running_loop().create_future()
    issuing = asyncio.create_task(pool.issue_hash_when(looked_up))
    # The pool is empty and the look-up not done: the login this hash will use is on its way already.
    await om.wait_until(lambda: om.count("/services/user/login") == 1)
    assert om.count("/services/user/hash") == 0
    looked_up.set_result((ALICE, RoomOptions(room_id=1)))
    issued = await issuing
    assert om.hashes[issued.hash].requested_for == ALICE.external_id
    await pool.close()


async def test_a_failed_look_up_gives_its_sid_back_unused(om: OMSimulator, http: httpx.AsyncClient) -> None:
    pool = make_pool(om, http, size=1, refill_hold=60.0)
    await pool.refill()
    [sid] = [s.sid for s in pool._fresh]

    async def room_gone() -> tuple[ExternalUser, RoomOptions]:
        raise OMError("the room is gone")

    with pytest.raises(OMError, match="the room is gone"):
        await pool.issue_hash_when(room_gone())
    assert [s.sid for s in pool._fresh] == [sid]  # made no hash: the next person gets it
    issued = await pool.issue_hash(ALICE, RoomOptions(room_id=1))
    assert om.hashes[issued.hash].session_sid == sid
    assert om.count("/services/user/hash") == 1
    await pool.close()


async def test_people_who_find_the_pool_empty_wait_for_logins_into_it_not_beside_it(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    pool = make_pool(om, http, size=2, max_size=2)  # the target can't grow: the counts are the takers' alone
    await pool.refill()
    om.holds["/services/user/hash"] = asyncio.Event()
    om.holds["/services/user/login"] = asyncio.Event()  # the refill's logins are slow too
    issuing = [asyncio.create_task(pool.issue_hash(ALICE, RoomOptions(room_id=1))) for _ in range(4)]
    # Two took pooled SIDs; the pool asked for two logins to refill itself and one for each of the two others.
    await om.wait_until(lambda: om.count("/services/user/hash") == 2 and om.count("/services/user/login") == 2 + 4)
    assert len(pool._tasks.takers) == 2
    om.holds["/services/user/login"].set()
    await om.wait_until(lambda: om.count("/services/user/hash") == 4)
    om.holds["/services/user/hash"].set()
    issued = await asyncio.gather(*issuing)
    assert len({om.hashes[i.hash].session_sid for i in issued}) == 4  # still one SID per hash
    await om.wait_until(lambda: pool.status().fresh == 2)
    assert om.count("/services/user/login") == 2 + 4  # no login beside those
    await pool.close()


async def test_a_burst_with_a_wrong_password_costs_om_one_login(om: OMSimulator, http: httpx.AsyncClient) -> None:
    om.bad_password_delay = (0.05, 0.05)
    pool = make_pool(om, http, password="wrong", size=4)
    results = await asyncio.gather(
        *(pool.issue_hash(ALICE, RoomOptions(room_id=1)) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, OMBadCredentialsError) for r in results), results
    assert om.count("/services/user/login") == 1
    await pool.close()


async def test_a_refill_failure_is_logged_once_per_run_of_failures(
    om: OMSimulator, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    pool = make_pool(om, http, size=1, max_size=1)
    await pool.refill()
    await om.stop()
    for _ in range(3):
        with pytest.raises(OMError):
            await pool.issue_hash(ALICE, RoomOptions(room_id=1))
    assert caplog.text.count("om pool: refill failed") == 1
    await om.restart()
    await pool.issue_hash(ALICE, RoomOptions(room_id=1))
    await om.wait_until(lambda: pool.status().fresh == 1)
    assert "om pool: refill works again" in caplog.text
    await pool.close()


async def test_a_burst_on_a_cold_pool_is_served_once_the_first_login_works(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    pool = make_pool(om, http, size=2, max_size=2)
    issued = await asyncio.wait_for(
        asyncio.gather(*(pool.issue_hash(ALICE, RoomOptions(room_id=1)) for _ in range(5))), 10
    )
    assert len({om.hashes[i.hash].session_sid for i in issued}) == 5
    await om.wait_until(lambda: pool.status().fresh == 2)
    await pool.close()


@pytest.mark.parametrize(("failing", "refused"), [(1, 0), (2, 1)])
async def test_a_failed_login_fails_only_whoever_no_other_login_is_coming_for(
    om: OMSimulator, http: httpx.AsyncClient, failing: int, refused: int
) -> None:
    pool = make_pool(om, http, size=1, max_size=1)  # the target can't grow: two logins on their way, no more
    await pool.refill()
    om.holds["/services/user/login"] = asyncio.Event()
    issuing = [asyncio.create_task(pool.issue_hash(ALICE, RoomOptions(room_id=1))) for _ in range(2)]
    # One took the pooled SID; one waits. Two logins are on their way: the pool's and the waiting person's.
    await om.wait_until(lambda: om.count("/services/user/hash") == 1 and om.count("/services/user/login") == 1 + 2)
    failures = iter([True] * failing)
    om.fault = lambda request: (
        web.Response(status=503) if request.path.endswith("/user/login") and next(failures, False) else None
    )
    om.holds["/services/user/login"].set()
    results = await asyncio.gather(*issuing, return_exceptions=True)
    assert sum(isinstance(r, OMError) for r in results) == refused
    await pool.close()


async def _rush(pool: SessionPool, people: int = 100) -> list[IssuedHash | BaseException]:
    return await asyncio.gather(
        *(
            pool.issue_hash(ExternalUser(f"T1:U{i}", "slack", f"Person {i}"), RoomOptions(room_id=1))
            for i in range(people)
        ),
        return_exceptions=True,
    )


async def test_a_rush_of_100_gets_a_sid_each_and_om_never_sees_more_logins_at_once_than_the_bound(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    now = [1000.0]  # the rush falls in one pool interval
    pool = make_pool(om, http, clock=lambda: now[0])  # the defaults
    await pool.refill()
    om.latency = 0.02
    om.holds["/services/user/login"] = asyncio.Event()
    rushing = asyncio.create_task(_rush(pool))
    # The logins for those who found the pool empty go out at once, up to the bound, and no further.
    bound = pool.max_concurrent_logins
    assert bound > 4
    await om.wait_until(lambda: om.concurrent_logins == bound)
    await om.wait_until(lambda: len(pool._tasks.takers) == 100 - pool.size)
    assert om.concurrent_logins == bound
    om.holds["/services/user/login"].set()
    issued = await rushing
    assert all(isinstance(i, IssuedHash) for i in issued), issued
    hashes = [i.hash for i in issued if isinstance(i, IssuedHash)]
    assert len({om.hashes[h].session_sid for h in hashes}) == 100  # no SID made two hashes
    assert {om.hashes[h].requested_for for h in hashes} == {f"T1:U{i}" for i in range(100)}
    await om.wait_until(lambda: om.concurrent_logins == 0 and not pool._tasks.refills)
    assert om.max_concurrent_logins <= bound
    await pool.close()


async def test_the_pool_grows_with_a_rush_up_to_its_cap_and_is_back_to_its_size_an_hour_later(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    now = [1000.0]
    pool = make_pool(om, http, clock=lambda: now[0])
    await pool.refill()
    assert (pool.status().target, pool.status().peak) == (pool.size, 0)
    warm = om.count("/services/user/login")
    om.latency = 0.01
    assert all(isinstance(i, IssuedHash) for i in await _rush(pool))
    status = pool.status()
    assert (status.peak, status.target) == (100, pool.max_size)  # 100 taken in one interval; the cap is 50
    await om.wait_until(lambda: pool.status().fresh == pool.max_size and not pool._tasks.refills)
    # One login for each person the pool could not serve, and one for each fresh SID of the grown pool: no more.
    assert om.count("/services/user/login") == warm + (100 - pool.size) + pool.max_size
    assert pool.status().fresh == pool.max_size

    # 20 minutes on, within the hour: the aged SIDs are renewed, to the grown target.
    now[0] += 20 * 60
    await pool.maintain()
    assert (pool.status().fresh, pool.status().target, pool.status().renewals) == (50, 50, 50)
    # An hour after the rush the peak has slid out of the window: aged SIDs are refilled to the size alone.
    now[0] += 45 * 60
    await pool.maintain()
    status = pool.status()
    assert (status.fresh, status.target, status.peak) == (pool.size, pool.size, 0)
    await pool.close()


@pytest.mark.parametrize("om_restarted", [False, True])
async def test_a_wrong_password_in_a_rush_on_a_warm_pool_costs_om_one_login(
    om: OMSimulator, http: httpx.AsyncClient, om_restarted: bool
) -> None:
    now = [1000.0]
    om.bad_password_delay = (0.05, 0.05)
    pool = make_pool(om, http, clock=lambda: now[0])
    await pool.refill()
    tried = om.count("/services/user/login")
    om.api_user.password = "rotated"  # OM's admin changed the API user's password; the bot still has the old one
    if om_restarted:
        om.drop_sessions()  # each pooled SID is refused, and each of their people logs in on the spot
    now[0] += 5 * 60  # the all-hands, some minutes after the pool was last filled
    results = await _rush(pool)
    served = [r for r in results if isinstance(r, IssuedHash)]
    assert len(served) == (0 if om_restarted else pool.size)  # the pooled SIDs work unless OM dropped them
    assert all(isinstance(r, OMBadCredentialsError) for r in results if not isinstance(r, IssuedHash)), results
    await om.wait_until(lambda: not pool._tasks.refills)
    assert om.count("/services/user/login") == tried + 1
    assert pool.status().auth_blocked_for > 0
    await pool.close()
