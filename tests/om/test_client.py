"""The OM client against the OM simulator over HTTP: verbs, wrapper, quirks, and every error class."""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import trustme
from aiohttp import web

from om import (
    ExternalUser,
    OMAccountError,
    OMBadCredentialsError,
    OMClient,
    OMNotAllowedError,
    OMNotFoundError,
    OMProtocolError,
    OMTimeoutError,
    OMTLSError,
    OMUnreachableError,
    RoomDefinition,
    RoomOptions,
)
from tests.simulators.om import OMSimulator

ALICE = ExternalUser("T1:U1", "slack", "Alice", "Liddell", "alice", "alice@example.com")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def client_for(om: OMSimulator, http: httpx.AsyncClient, **kwargs: float) -> OMClient:
    return OMClient(om.base_url, http, **kwargs)


async def test_version_health_and_login_on_om9(om: OMSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(om, http)
    assert (await client.version()).major == 9
    assert (await client.health()).ok
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    assert sid in om.sessions
    login = [r for r in om.requests if r.path == "/services/user/login"]
    assert [r.method for r in login] == ["POST"]
    assert login[0].form == {"user": om.api_user.login, "pass": om.api_user.password}
    assert login[0].query == {}


async def test_login_on_om8_uses_get_query(om: OMSimulator, http: httpx.AsyncClient) -> None:
    om.version = "8.1.0"
    sid = await client_for(om, http).login(om.api_user.login, om.api_user.password or "")
    assert sid in om.sessions
    assert [r.method for r in om.requests if r.path == "/services/user/login"] == ["GET"]


async def test_server_upgraded_while_running_is_followed(om: OMSimulator, http: httpx.AsyncClient) -> None:
    om.version = "8.1.0"
    client = client_for(om, http)
    await client.login(om.api_user.login, om.api_user.password or "")
    om.version = "9.1.0"
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    assert sid in om.sessions
    assert [r.status for r in om.requests if r.path == "/services/user/login"] == [200, 405, 200]


async def test_bad_credentials_raise_once_after_oms_delay(om: OMSimulator, http: httpx.AsyncClient) -> None:
    om.bad_password_delay = (0.2, 0.25)
    client = client_for(om, http)
    started = time.perf_counter()
    with pytest.raises(OMBadCredentialsError) as caught:
        await client.login(om.api_user.login, "wrong")
    assert time.perf_counter() - started >= 0.2
    assert caught.value.key == "error.bad.credentials"
    assert "wrong" not in str(caught.value)
    assert om.count("/services/user/login") == 1


@pytest.mark.parametrize(("change", "key"), [("rights", "error.notactivated"), ("groups", "error.nogroup")])
async def test_account_problems(om: OMSimulator, http: httpx.AsyncClient, change: str, key: str) -> None:
    if change == "rights":
        om.api_user.rights.discard("LOGIN")
    else:
        om.api_user.groups.clear()
    with pytest.raises(OMAccountError) as caught:
        await client_for(om, http).login(om.api_user.login, om.api_user.password or "")
    assert caught.value.key == key


async def test_room_hash_is_sent_as_form_json_with_sid_in_query(om: OMSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(om, http)
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    value = await client.room_hash(sid, ALICE, RoomOptions(room_id=5, moderator=True))
    record = om.hashes[value]
    assert (record.session_sid, record.room_id, record.moderator, record.allow_same_url) == (sid, 5, True, False)
    request = next(r for r in om.requests if r.path == "/services/user/hash")
    assert request.query == {"sid": sid} and "sid" not in request.form
    joined = await om.open_join_url(f"{om.base_url}/hash?secure={value}&language=1")
    assert joined is not None and joined.user.firstname == "Alice" and joined.moderator is True


async def test_expired_sid_is_not_allowed(om: OMSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(om, http)
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    om.expire_session(sid)
    with pytest.raises(OMNotAllowedError):
        await client.room_hash(sid, ALICE, RoomOptions(room_id=1))
    with pytest.raises(OMNotAllowedError):
        await client.get_room(sid, 1)


async def test_get_room_and_missing_room(om: OMSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(om, http)
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    room = await client.get_room(sid, 3)
    assert (room.id, room.name) == (3, "Public Room 3")
    with pytest.raises(OMNotFoundError):
        await client.get_room(sid, 999)


async def test_numeric_room_name_survives_jettison(om: OMSimulator, http: httpx.AsyncClient) -> None:
    from tests.simulators.om import Room

    om.add_room(Room(id=77, name="2024"))
    client = client_for(om, http)
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    assert (await client.get_room(sid, 77)).name == "2024"


async def test_unreachable_and_timeout(om: OMSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(om, http, timeout=0.3)
    om.latency = 1.0
    with pytest.raises(OMTimeoutError):
        await client.health()
    await om.stop()
    with pytest.raises(OMUnreachableError) as caught:
        await client.health()
    assert not isinstance(caught.value, OMTimeoutError)


async def test_wrong_base_path_is_explained(om: OMSimulator, http: httpx.AsyncClient) -> None:
    client = OMClient(om.base_url.removesuffix("/openmeetings"), http)
    with pytest.raises(OMProtocolError) as caught:
        await client.version()
    assert "OPENMEETINGS_URL" in str(caught.value)


@pytest.mark.parametrize(
    "fault",
    [
        lambda: web.Response(status=500, text="<html><body>HTTP Status 500</body></html>", content_type="text/html"),
        lambda: web.Response(status=200, text='{"serviceResult": {', content_type="application/json"),
        lambda: web.Response(status=200, text='{"unexpected": 1}', content_type="application/json"),
        lambda: web.Response(status=200, text="<html>login page</html>", content_type="text/html"),
    ],
)
async def test_answers_that_are_not_the_api_are_protocol_errors(
    om: OMSimulator, http: httpx.AsyncClient, fault: Callable[[], web.Response]
) -> None:
    client = client_for(om, http)
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    om.fault = lambda request: fault()
    with pytest.raises(OMProtocolError):
        await client.room_hash(sid, ALICE, RoomOptions(room_id=1))
    with pytest.raises(OMProtocolError):
        await client.login(om.api_user.login, om.api_user.password or "")


async def test_proxy_gateway_errors_count_as_unreachable(om: OMSimulator, http: httpx.AsyncClient) -> None:
    om.fault = lambda request: web.Response(status=502, text="Bad Gateway")
    with pytest.raises(OMUnreachableError):
        await client_for(om, http).health()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_om(ca: trustme.CA) -> AsyncIterator[OMSimulator]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    sim = OMSimulator(bad_password_delay=(0.01, 0.02))
    await sim.start(ssl_context=server_context)
    yield sim
    await sim.stop()


async def test_self_signed_tls_fails_clearly_without_a_ca_bundle(tls_om: OMSimulator) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(OMTLSError) as caught:
            await OMClient(tls_om.base_url, http).version()
    assert "OPENMEETINGS_CA_BUNDLE" in str(caught.value)


async def test_self_signed_tls_works_with_the_ca_bundle(tls_om: OMSimulator, ca: trustme.CA, tmp_path: Path) -> None:
    from bot.config import Config
    from bot.http import make_http_client

    bundle = tmp_path / "om.pem"
    ca.cert_pem.write_to_path(str(bundle))
    config = Config(
        slack_bot_token="xoxb-x", slack_signing_secret="s", openmeetings_url=tls_om.base_url,
        openmeetings_user="u", openmeetings_password="p", ca_bundle=str(bundle),
    )  # fmt: skip
    async with make_http_client(config) as http:
        assert (await OMClient(tls_om.base_url, http).version()).major == 9
        # The bundle applies to OM only: other hosts keep the system's trust store.
        with pytest.raises(httpx.ConnectError):
            await http.get("https://127.0.0.1:1/")


async def test_health_without_the_health_resource_falls_back_to_the_version(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    om.fault = lambda request: web.Response(status=404) if request.path.endswith("/info/health") else None
    assert (await client_for(om, http).health()).ok
    om.fault = lambda request: web.Response(status=404)
    with pytest.raises(OMProtocolError):
        await client_for(om, http).health()


async def test_request_labels_are_a_fixed_set_whatever_the_room_or_conversation(
    om: OMSimulator, http: httpx.AsyncClient
) -> None:
    seen: list[str] = []
    client = OMClient(om.base_url, http, observe=lambda endpoint, seconds: seen.append(endpoint))
    sid = await client.login(om.api_user.login, om.api_user.password or "")
    for team, channel in (("T1", "C1"), ("T2", "C2")):
        await client.external_room(sid, "CONFERENCE", "slack", f"{team}:{channel}", RoomDefinition(f"#{channel}"))
    for room_id in (1, 2):
        await client.get_room(sid, room_id)
        await client.room_count(sid, room_id)
    with pytest.raises(OMNotFoundError):
        await client.get_room(sid, 999)
    assert seen.count("/room/{type}/{externaltype}/{externalid}") == 2
    assert set(seen) == {
        "/info/version",
        "/user/login",
        "/room/{type}/{externaltype}/{externalid}",
        "/room/{id}",
        "/room/count/{id}",
    }
