"""``/healthz`` answers at once whatever OM does, from what the background checks last saw."""

from __future__ import annotations

import asyncio

import httpx

from bot.health import STALE, Seen, verdict
from om import PoolStatus
from tests.conftest import RunningBot
from tests.simulators.om import OMSimulator

READY = PoolStatus(fresh=2, target=2, links=0, logins=2, renewals=0, keepalives=0, last_error=None,
                   auth_blocked_for=0.0, peak=0)  # fmt: skip


async def test_a_hanging_om_gets_a_503_before_a_one_second_probe_gives_up(bot: RunningBot, om: OMSimulator) -> None:
    await bot.settled(om)
    assert (await bot.healthz()).status_code == 200
    om.holds["/services/info/health"] = asyncio.Event()  # OM accepts the connection and never answers
    async with httpx.AsyncClient(timeout=1.0) as probe:  # Kubernetes' default probe timeout
        response = await probe.get(bot.url + "/healthz")
    assert response.status_code == 503
    assert response.json()["openmeetings"] == "unreachable"
    assert "no answer to a health check" in response.json()["reason"]
    # The platform asks again while OM still hangs: an answer again, as fast.
    async with httpx.AsyncClient(timeout=1.0) as probe:
        again = await probe.get(bot.url + "/healthz")
    assert again.status_code == 503
    om.holds.pop("/services/info/health").set()
    await om.wait_until(lambda: om.count("/services/info/health") >= 2)
    assert (await bot.healthz()).status_code == 200


async def test_a_refusing_om_is_reported_at_once(bot: RunningBot, om: OMSimulator) -> None:
    await bot.settled(om)
    await om.stop()
    async with httpx.AsyncClient(timeout=1.0) as probe:
        response = await probe.get(bot.url + "/healthz")
    assert response.status_code == 503 and "not reachable" in response.json()["reason"]


def test_a_state_older_than_a_few_probe_intervals_is_unhealthy() -> None:
    seen = Seen(at=100.0, openmeetings="ok", problem=None)
    assert verdict(seen, 100.0 + STALE - 1, READY, 0, None, None)[0] == 200
    status, body = verdict(seen, 100.0 + STALE + 1, READY, 0, None, None)
    assert status == 503 and "has not answered a health check for" in body["reason"]
    assert body["checked_seconds_ago"] == STALE + 1


def test_never_checked_is_unhealthy_and_socket_mode_is_reported() -> None:
    assert verdict(None, 0.0, READY, 0, None, None)[0] == 503
    status, body = verdict(Seen(0.0, "ok", None), 1.0, READY, 0, None, False)
    assert status == 503 and body["slack"] == "not connected"
