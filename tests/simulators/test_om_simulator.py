"""Tests of the OpenMeetings simulator itself, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tests.simulators.om import OMSimulator, Room

FAST_PENALTY = (0.05, 0.1)
SLACK_USER = {
    "externalId": "U1",
    "externalType": "slack",
    "firstname": "Ada",
    "lastname": "Lovelace",
    "login": "ada",
    "email": "ada@example.org",
}


@pytest.fixture
async def sim() -> AsyncIterator[OMSimulator]:
    s = OMSimulator(bad_password_delay=FAST_PENALTY)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def client(sim: OMSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url + "/services", timeout=2.0) as c:
        yield c


async def login(client: httpx.AsyncClient, user: str = "slackbot", pw: str = "s3cret-pass") -> dict:
    r = await client.post("/user/login", data={"user": user, "pass": pw})
    assert r.status_code == 200
    return r.json()["serviceResult"]


async def make_hash(client: httpx.AsyncClient, sid: str, user: dict | None = None, **options: object) -> str:
    opts = {"roomId": 1, **options}
    r = await client.post(
        "/user/hash", params={"sid": sid}, data={"user": json.dumps(user or SLACK_USER), "options": json.dumps(opts)}
    )
    assert r.status_code == 200, r.text
    body = r.json()["serviceResult"]
    assert body["type"] == "SUCCESS", body
    return body["message"]


def join_url(sim: OMSimulator, h: str) -> str:
    return f"{sim.base_url}/hash?secure={h}&language=1"


async def test_login_post_on_9x_and_get_is_405(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    res = await login(client, user="  SlackBot ")  # trimmed + case-insensitive (getUserByLoginOrEmail, User.java)
    assert res["type"] == "SUCCESS"
    assert res["message"] in sim.sessions
    assert set(res) == {"message", "type"}  # no "code" (ServiceResult.java)
    r = await client.get("/user/login", params={"user": "slackbot", "pass": "s3cret-pass"})
    assert r.status_code == 405
    assert sim.login_count == 1


async def test_login_get_on_8x_and_post_is_405(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sim.version = "8.1.0"
    r = await client.get("/user/login", params={"user": "slackbot@example.org", "pass": "s3cret-pass"})
    assert r.json()["serviceResult"]["type"] == "SUCCESS"
    r = await client.post("/user/login", data={"user": "slackbot", "pass": "s3cret-pass"})
    assert r.status_code == 405
    # 8.x has no bad-password penalty
    sim.bad_password_delay = (5.0, 5.0)
    r = await client.get("/user/login", params={"user": "slackbot", "pass": "nope"})
    assert r.json()["serviceResult"] == {"message": "error.bad.credentials", "type": "ERROR"}


async def test_bad_password_delay_and_key(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    t0 = time.monotonic()
    res = await login(client, pw="wrong")
    assert time.monotonic() - t0 >= FAST_PENALTY[0]
    assert res == {"message": "error.bad.credentials", "type": "ERROR"}
    assert (await login(client, user="nobody"))["message"] == "error.bad.credentials"
    assert sim.sessions == {}
    assert sim.max_concurrent_logins == 1 and sim.concurrent_logins == 0


async def test_concurrent_logins_are_counted(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    results = await asyncio.gather(*(login(client, pw="wrong") for _ in range(3)))
    assert all(r["message"] == "error.bad.credentials" for r in results)
    assert sim.max_concurrent_logins == 3


async def test_notactivated_and_nogroup(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sim.api_user.rights.discard("LOGIN")
    assert (await login(client))["message"] == "error.notactivated"
    sim.api_user.rights.add("LOGIN")
    sim.api_user.groups.clear()
    assert (await login(client))["message"] == "error.nogroup"
    assert sim.sessions == {}


async def test_hash_is_single_use(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    h = await make_hash(client, sid, moderator=True)
    join = await sim.open_join_url(join_url(sim, h))
    assert join is not None
    assert (join.room_id, join.moderator, join.language) == (1, True, 1)
    assert join.user.type == "EXTERNAL" and join.user.rights == {"ROOM"} and join.user.groups == {"slack"}
    assert await sim.open_join_url(join_url(sim, h)) is None
    async with httpx.AsyncClient() as c:
        page = (await c.get(join_url(sim, h))).text
    assert "Access denied. You have no rights to enter this room." in page and "Invalid hash" in page


async def test_two_hashes_on_one_sid_both_open_as_last_user(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    h_ada = await make_hash(client, sid)
    bob = {**SLACK_USER, "externalId": "U2", "firstname": "Bob", "lastname": "Builder"}
    h_bob = await make_hash(client, sid, user=bob, roomId=2)
    first = await sim.open_join_url(join_url(sim, h_ada))
    second = await sim.open_join_url(join_url(sim, h_bob))
    assert first is not None and second is not None
    # The dangerous behaviour (UserWebService.getRoomHash stores the user on the SID): Ada's link signs in as Bob.
    assert first.user.external_id == "U2" and second.user.external_id == "U2"
    assert first.user is second.user
    assert (first.room_id, second.room_id) == (1, 2)


async def test_used_hash_repoints_sid(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    assert (await client.get("/room/1", params={"sid": sid})).status_code == 200
    join = await sim.open_join_url(join_url(sim, await make_hash(client, sid)))
    assert join is not None
    assert sim.sessions[sid].user_id == join.user.id
    r = await client.get("/room/1", params={"sid": sid})
    assert r.status_code == 500
    assert r.headers["exception"] == "error.notallowed"
    assert r.json() == {"serviceResult": {"message": "error.notallowed", "type": "ERROR"}}


async def test_idle_expiry_kills_sid_and_its_hash(client: httpx.AsyncClient, sim: OMSimulator) -> None:
    sim.idle_timeout = 0.2
    sim.cleanup_interval = 0.05
    sid = (await login(client))["message"]
    h = await make_hash(client, sid)
    await sim.wait_until(lambda: sid in sim.expired_sids, timeout=2.0)
    assert sid not in sim.sessions
    assert await sim.open_join_url(join_url(sim, h)) is None
    r = await client.get("/room/1", params={"sid": sid})
    assert r.status_code == 500 and r.headers["exception"] == "error.notallowed"


async def test_calls_refresh_sid_past_idle_timeout(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sim.idle_timeout = 0.2
    sim.cleanup_interval = 0.05
    sid = (await login(client))["message"]
    t0 = time.monotonic()
    # The behaviour under test is the passage of time itself, so sleeping is the point here.
    while time.monotonic() - t0 < 0.5:
        r = await client.get("/room/1", params={"sid": sid})
        assert r.status_code == 200
        await asyncio.sleep(0.07)
    assert sid in sim.sessions and sid not in sim.expired_sids
    # /info takes no SID, so it does not refresh (InfoWebService.java): without SID traffic it dies.
    await client.get("/info/version")
    await sim.wait_until(lambda: sid in sim.expired_sids, timeout=2.0)


async def test_missing_soap_right_still_refreshes(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    sim.api_user.rights.discard("SOAP")
    before = sim.sessions[sid].refreshed
    r = await client.post(
        "/user/hash", params={"sid": sid}, data={"user": json.dumps(SLACK_USER), "options": '{"roomId":1}'}
    )
    assert r.status_code == 500
    assert r.headers["exception"] == "error.notallowed"
    assert r.json()["serviceResult"] == {"message": "error.notallowed", "type": "ERROR"}
    assert sim.sessions[sid].refreshed > before
    assert sim.hashes == {}
    # ROOM is still there, so /room/public works with the same SID.
    assert (await client.get("/room/public/CONFERENCE", params={"sid": sid})).status_code == 200


async def test_sid_in_form_body_is_ignored(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    r = await client.post("/user/hash", data={"sid": sid, "user": json.dumps(SLACK_USER), "options": "{}"})
    assert r.status_code == 500 and r.json()["serviceResult"]["message"] == "error.notallowed"


async def test_digits_quirk_and_room_shapes(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    r = await client.get("/room/count/1", params={"sid": sid})
    assert r.json() == {"serviceResult": {"message": 0, "type": "SUCCESS"}}
    await sim.open_join_url(join_url(sim, await make_hash(client, sid)))
    sid = (await login(client))["message"]
    assert (await client.get("/room/count/1", params={"sid": sid})).json()["serviceResult"]["message"] == 1
    sim.add_room(Room(id=42, name="2024", type="INTERVIEW"))
    dto = (await client.get("/room/42", params={"sid": sid})).json()["roomDTO"]
    assert dto["name"] == 2024 and dto["isPublic"] is True and "public" not in dto and "files" not in dto
    rooms = (await client.get("/room/public/INTERVIEW", params={"sid": sid})).json()["roomDTO"]
    assert isinstance(rooms, list) and [x["id"] for x in rooms] == [42]
    assert (await client.get("/room/1", params={"sid": sid})).json()["roomDTO"]["hiddenElements"] == "MICROPHONE_STATUS"
    r = await client.get("/room/public/conference", params={"sid": sid})
    assert r.status_code == 500 and "serviceResult" not in r.text and r.headers["content-type"].startswith("text/html")
    r = await client.get("/room/999", params={"sid": sid})
    assert r.status_code == 500 and "is null" in r.json()["serviceResult"]["message"]
    assert (await client.get("/info/version")).json()["info"]["version"] == "9.1.0"
    assert (await client.get("/nope", params={"sid": sid})).status_code == 404


async def test_external_room_lookup_create_and_204(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    r = await client.get("/room/CONFERENCE/slack/C1", params={"sid": sid})
    assert r.status_code == 204 and r.content == b""
    r = await client.get(
        "/room/CONFERENCE/slack/C1", params={"sid": sid, "room": json.dumps({"type": "CONFERENCE", "name": "general"})}
    )
    created = r.json()["roomDTO"]
    assert created["externalId"] == "C1" and created["externalType"] == "slack"
    again = (await client.get("/room/CONFERENCE/slack/C1", params={"sid": sid})).json()["roomDTO"]
    assert again["id"] == created["id"]
    h = await make_hash(client, sid, externalRoomId="C1", externalType="slack")
    join = await sim.open_join_url(join_url(sim, h))
    assert join is not None and join.room_id == created["id"]


async def test_stop_refuses_then_start_same_port(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    port = sim.port
    await sim.stop()
    with pytest.raises(httpx.ConnectError):
        await client.get("/info/health")
    await sim.start()
    assert sim.port == port
    assert (await client.get("/info/health")).json() == {"health": {"inited": True, "installed": True, "dbOk": True}}
    assert (await client.get("/room/1", params={"sid": sid})).status_code == 200  # stop() keeps state


async def test_restart_drops_sids(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    h = await make_hash(client, sid)
    port = sim.port
    await sim.restart()
    assert sim.port == port and sim.sessions == {}
    r = await client.get("/room/1", params={"sid": sid})
    assert r.status_code == 500 and r.headers["exception"] == "error.notallowed"
    assert h in sim.hashes and await sim.open_join_url(join_url(sim, h)) is None


async def test_json_body_on_hash_is_500_npe(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    r = await client.post("/user/hash", params={"sid": sid}, json={"user": SLACK_USER, "options": {"roomId": 1}})
    assert r.status_code == 500
    assert "ExternalUserDTO" in r.json()["serviceResult"]["message"]
    assert sim.hashes == {}


async def test_malformed_form_json_is_400_and_empty_ids_are_200_error(
    sim: OMSimulator, client: httpx.AsyncClient
) -> None:
    sid = (await login(client))["message"]
    r = await client.post("/user/hash", params={"sid": sid}, data={"user": "{not json", "options": "{}"})
    assert r.status_code == 400
    r = await client.post(
        "/user/hash",
        params={"sid": sid},
        data={"user": json.dumps({"externalId": "", "externalType": "slack"}), "options": "{}"},
    )
    assert r.status_code == 200
    assert r.json()["serviceResult"] == {"message": "externalId and/or externalType are not set", "type": "ERROR"}


async def test_multipart_and_string_room_id_and_reusable_hash(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    files = {
        "user": (None, json.dumps(SLACK_USER)),
        "options": (None, json.dumps({"roomId": "3", "allowSameURLMultipleTimes": True})),
    }
    r = await client.post("/user/hash", params={"sid": sid}, files=files)
    h = r.json()["serviceResult"]["message"]
    assert sim.sessions[sid].permanent is True
    for _ in range(2):
        join = await sim.open_join_url(join_url(sim, h))
        assert join is not None and join.room_id == 3


async def test_latency_and_wait_until_timeout(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sim.latency = 0.15
    t0 = time.monotonic()
    await client.get("/info/version")
    assert time.monotonic() - t0 >= 0.15
    rec = sim.requests[-1]
    assert rec.path == "/services/info/version" and rec.status == 200 and rec.t_end - rec.t_start >= 0.15
    assert sim.count("/services/info", "GET") == 1
    with pytest.raises(TimeoutError, match="still false"):
        await sim.wait_until(lambda: False, timeout=0.1)


# ------------------------------------------------------------ recordings (RecordingWebService, HashPage)


async def test_room_recordings_wire_shape(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    sim.time_zone = timezone(timedelta(hours=12))
    start = datetime(2021, 9, 18, 22, 43, 39, tzinfo=UTC)
    done = sim.add_recording(
        7, name="Standup", start=start, end=start + timedelta(seconds=17), owner_id=1, width=1792, height=1120
    )
    live = sim.add_recording(
        7, name="2024", status="RECORDING", start=start + timedelta(minutes=1, microseconds=250_000)
    )
    folder = sim.add_recording(7, name="Archive", folder=True)
    sim.add_recording(7, name="Gone", deleted=True)
    sim.add_recording(8, name="Elsewhere")
    r = await client.get("/record/room/7", params={"sid": sid})
    assert r.status_code == 200
    items = r.json()["recordingDTO"]
    # getRecordingsByRoom: not deleted, this room only, folders first, then in the order they were made.
    assert [x["id"] for x in items] == [folder.id, done.id, live.id]
    assert items[1] == {
        "id": done.id,
        "name": "Standup",
        "hash": done.hash,
        "roomId": 7,
        "status": "PROCESSED",
        "interview": False,
        "start": "2021-09-19T10:43:39+12:00",  # xs:dateTime in the server's zone, as in RecordingDTOListWrapper
        "end": "2021-09-19T10:43:56+12:00",
        "width": 1792,
        "height": 1120,
        "ownerId": 1,
    }
    # Still recording: no end, no owner, no size (nulls are left out); a digit-only name is a number (Jettison).
    assert items[2]["name"] == 2024 and items[2]["status"] == "RECORDING"
    assert items[2]["start"] == "2021-09-19T10:44:39.250+12:00" and "end" not in items[2] and "ownerId" not in items[2]
    assert items[0]["status"] == "NONE" and "start" not in items[0]
    sim.time_zone = UTC
    r = await client.get("/record/room/7", params={"sid": sid})
    assert r.json()["recordingDTO"][1]["start"] == "2021-09-18T22:43:39Z"


async def test_room_recordings_one_none_missing_room_and_rights(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    sid = (await login(client))["message"]
    # A top-level list stays an array with one item, and is [] with none (CXF JSONProvider.marshalCollection);
    # a room that does not exist answers the same as one without recordings.
    assert (await client.get("/record/room/1", params={"sid": sid})).json() == {"recordingDTO": []}
    assert (await client.get("/record/room/999", params={"sid": sid})).json() == {"recordingDTO": []}
    rec = sim.add_recording(1)
    items = (await client.get("/record/room/1", params={"sid": sid})).json()["recordingDTO"]
    assert isinstance(items, list) and [x["id"] for x in items] == [rec.id]
    assert (await client.get("/record/room/abc", params={"sid": sid})).status_code == 404
    sim.api_user.rights.discard("SOAP")
    r = await client.get("/record/room/1", params={"sid": sid})
    assert r.status_code == 500 and r.headers["exception"] == "error.notallowed"
    r = await client.get("/record/room/1")
    assert r.status_code == 500 and r.json()["serviceResult"]["message"] == "error.notallowed"


async def test_hash_with_recording_id_opens_the_player(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    done = sim.add_recording(2, name="Retro <1>")
    sid = (await login(client))["message"]
    # No roomId needed (the Moodle plugin sends only recordingId); a roomId given as well still opens the player.
    h = await make_hash(client, sid, roomId=None, recordingId=done.id)
    join = await sim.open_join_url(join_url(sim, h))
    assert join is not None and join.user.external_id == "U1"
    assert (join.recording_id, join.recording_found, join.video_shown, join.room_id) == (done.id, True, True, None)
    assert sim.sessions[sid].user_id == join.user.id  # the SID is re-pointed as for a room
    sid = (await login(client))["message"]
    h = await make_hash(client, sid, recordingId=str(done.id))
    async with httpx.AsyncClient() as c:
        page = (await c.get(join_url(sim, h))).text
    assert "Retro &lt;1&gt;" in page and "<video" in page and "Invalid hash" not in page
    assert (await client.get("/room/count/1", params={"sid": (await login(client))["message"]})).json()[
        "serviceResult"
    ]["message"] == 0


async def test_player_for_unprocessed_and_missing_recordings(sim: OMSimulator, client: httpx.AsyncClient) -> None:
    converting = sim.add_recording(2, status="CONVERTING")
    deleted = sim.add_recording(2, deleted=True)
    seen = {}
    for rec_id in (converting.id, deleted.id, 999):
        sid = (await login(client))["message"]
        join = await sim.open_join_url(join_url(sim, await make_hash(client, sid, recordingId=rec_id)))
        assert join is not None and join.recording_id == rec_id and join.room_id is None
        seen[rec_id] = (join.recording_found, join.video_shown)
    # HashPage shows the player panel without the error dialog in every case: its info for a recording that is
    # not processed yet, and nothing at all for one that does not exist (or is deleted).
    assert seen == {converting.id: (True, False), deleted.id: (False, False), 999: (False, False)}
    sid = (await login(client))["message"]
    async with httpx.AsyncClient() as c:
        page = (await c.get(join_url(sim, await make_hash(client, sid, recordingId=999)))).text
    assert "panel-recording" in page and "<video" not in page and "Invalid hash" not in page
