"""The SID pool against the OM simulator: one hash per SID, renewal, keep-alive, back-off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from om import ExternalUser, OMBadCredentialsError, OMClient, OMMissingRightError, RoomOptions, SessionPool
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
