"""A small, stateless client for the OpenMeetings REST API.

It knows the wire (paths, verbs, form-encoded JSON strings, the ServiceResult
wrapper, Jettison's quirks) and turns every failure into an ``OMError``. It
holds no SIDs: which SID serves which call is the pool's business.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

import httpx

from .errors import (
    OMAccountError,
    OMAuthError,
    OMBadCredentialsError,
    OMNotAllowedError,
    OMNotFoundError,
    OMProtocolError,
    OMTimeoutError,
    OMTLSError,
    OMUnreachableError,
)
from .models import ExternalUser, Health, Recording, Room, RoomDefinition, RoomOptions, ServerInfo, as_list

NOT_ALLOWED: Final = "error.notallowed"
# OM 9 sleeps 6-16 s before it answers a wrong password (UserDao.badPwdPenalty), so a
# login needs far more patience than any other call.
DEFAULT_LOGIN_TIMEOUT: Final = 30.0
DEFAULT_TIMEOUT: Final = 10.0
_ACCOUNT_KEYS: Final = frozenset({"error.notactivated", "error.nogroup"})
_EXTERNAL_ROOM: Final = "/room/{type}/{externaltype}/{externalid}"

# Called with (endpoint, seconds) after every request, failed ones included. The endpoint is the call's path
# template, e.g. ``/room/{id}``: one of a fixed, small set, never an id (a metric label per room or per
# conversation would grow without end).
RequestObserver = Callable[[str, float], None]


class OMClient:
    """Calls one OM server. ``base_url`` is the web app root, e.g. ``https://om.example.org/openmeetings``."""

    def __init__(
        self,
        base_url: str,
        http: httpx.AsyncClient,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        login_timeout: float = DEFAULT_LOGIN_TIMEOUT,
        observe: RequestObserver | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api = self.base_url + "/services"
        # Parsed once per endpoint: httpx parses a URL string on every request, a sizeable share of a login's CPU.
        self._urls: dict[str, httpx.URL] = {}
        self._http = http
        self._timeout = timeout
        self._login_timeout = login_timeout
        self._observe = observe
        self._login_verb: str | None = None
        # The version OM named when the login verb was chosen ("" until the first login).
        self.version_seen = ""
        self._verb_lock = asyncio.Lock()

    # -- calls that need no SID -------------------------------------------------

    async def version(self) -> ServerInfo:
        data = await self._json("/info/version")
        info = _unwrap(data, "info")
        if not isinstance(info, dict) or "version" not in info:
            raise OMProtocolError("/info/version answered without a version")
        return ServerInfo(version=str(info["version"]), revision=str(info.get("revision") or ""))

    async def health(self) -> Health:
        """``/info/health``; a server without that resource but answering ``/info/version`` counts as healthy."""
        try:
            data = await self._json("/info/health")
        except OMProtocolError as exc:
            if exc.status != 404:
                raise
            await self.version()  # raises if OM is not there either
            return Health(inited=True, installed=True, db_ok=True)
        health = _unwrap(data, "health")
        if not isinstance(health, dict):
            raise OMProtocolError("/info/health answered without a health object")
        return Health(
            inited=health.get("inited") is True,
            installed=health.get("installed") is True,
            db_ok=health.get("dbOk") is True,
        )

    async def login(self, user: str, password: str) -> str:
        """Returns a fresh SID. Bad credentials are raised, never retried: each try costs 6-16 s."""
        verb = await self._ensure_login_verb()
        response = await self._send_login(verb, user, password)
        if response.status_code == 405:
            # The server was upgraded or downgraded under us: learn its version again, once.
            verb = await self._ensure_login_verb(refresh=True)
            response = await self._send_login(verb, user, password)
        ok, message = _service_result(response, "/user/login")
        if ok:
            if not message:
                raise OMProtocolError("/user/login succeeded without a SID", response.status_code)
            return message
        if message == "error.bad.credentials":
            raise OMBadCredentialsError("OpenMeetings refused the API user's login or password", message)
        if message in _ACCOUNT_KEYS:
            raise OMAccountError(f"OpenMeetings refused the API user ({message})", message)
        raise OMAuthError(f"OpenMeetings refused the login ({_short(message)})", message)

    # -- calls that need a SID --------------------------------------------------

    async def room_hash(self, sid: str, user: ExternalUser, options: RoomOptions) -> str:
        """``POST /user/hash``: the SID becomes the joining person's once the hash is opened."""
        response = await self._request(
            "POST",
            "/user/hash",
            "/user/hash",
            params={"sid": sid},
            data={"user": user.to_wire(), "options": options.to_wire()},
        )
        ok, message = _service_result(response, "/user/hash")
        if ok and message:
            return message
        raise OMProtocolError(f"/user/hash failed ({_short(message)})", response.status_code)

    async def get_room(self, sid: str, room_id: int) -> Room:
        response = await self._request("GET", f"/room/{int(room_id)}", "/room/{id}", params={"sid": sid})
        if response.status_code == 204:
            raise OMNotFoundError(f"room {room_id} does not exist")
        if response.status_code == 200:
            room = _unwrap(_decode(response, "/room/{id}"), "roomDTO")
            if isinstance(room, dict) and "id" in room:
                return Room.from_wire(room)
            raise OMProtocolError("/room/{id} answered without a room", 200)
        # A missing room is a NullPointerException inside OM (RoomWebService.getRoomById), which
        # OmExceptionHandler turns into a 500 with the exception text, never a 404.
        _service_result(response, "/room/{id}")
        raise OMNotFoundError(f"room {room_id} does not exist")

    async def public_rooms(self, sid: str, room_type: str) -> list[Room]:
        """``GET /room/public/{type}``; the type is case-sensitive (``Room.Type.valueOf`` in RoomWebService.java)."""
        path = f"/room/public/{quote(room_type, safe='')}"
        response = await self._request("GET", path, "/room/public/{type}", params={"sid": sid})
        if response.status_code != 200:
            _service_result(response, "/room/public/{type}")
            raise OMProtocolError(f"/room/public/{room_type} failed", response.status_code)
        rooms = _unwrap(_decode(response, "/room/public/{type}"), "roomDTO")
        return [Room.from_wire(r) for r in as_list(rooms) if isinstance(r, dict) and "id" in r]

    async def room_count(self, sid: str, room_id: int) -> int:
        """People in the room right now (``GET /room/count/{id}``)."""
        response = await self._request("GET", f"/room/count/{int(room_id)}", "/room/count/{id}", params={"sid": sid})
        ok, message = _service_result(response, "/room/count/{id}")
        try:
            return int(message) if ok else 0
        except ValueError:
            raise OMProtocolError("/room/count answered a non-number", response.status_code) from None

    async def external_room(
        self, sid: str, room_type: str, external_type: str, external_id: str, create: RoomDefinition | None = None
    ) -> Room:
        """The room keyed by (type, external type, external id); created from ``create`` when missing."""
        path = "/room/{}/{}/{}".format(*(quote(part, safe="") for part in (room_type, external_type, external_id)))
        params = {"sid": sid}
        if create is not None:
            params["room"] = create.to_wire(room_type)
        response = await self._request("GET", path, _EXTERNAL_ROOM, params=params)
        if response.status_code == 204:
            raise OMNotFoundError("no such external room")
        if response.status_code == 200:
            room = _unwrap(_decode(response, _EXTERNAL_ROOM), "roomDTO")
            if isinstance(room, dict) and "id" in room:
                return Room.from_wire(room)
        _service_result(response, _EXTERNAL_ROOM)
        raise OMProtocolError(f"{_EXTERNAL_ROOM} answered without a room", response.status_code)

    async def room_recordings(self, sid: str, room_id: int) -> list[Recording]:
        """``GET /record/room/{roomid}`` (SOAP right): the room's recordings, in OM's order (oldest first).

        OM lists every recording of the room that is not deleted, whoever made it (named query
        ``getRecordingsByRoom``, Recording.java), in every status; ``Recording.processed`` tells which can be
        played. The folders OM lists with them are left out. A room that does not exist has no recordings: OM
        answers an empty list, exactly as for an empty room, so this never raises OMNotFoundError (look the room
        up first to tell the two apart).
        """
        path = "/record/room/{id}"
        try:
            response = await self._request("GET", f"/record/room/{int(room_id)}", path, params={"sid": sid})
        except OMProtocolError as exc:
            if exc.status != 404:
                raise
            # The other calls reached OM with this base URL, so it is this resource that is missing.
            raise OMProtocolError(f"OpenMeetings has no {path} resource (HTTP 404)", 404) from exc
        if response.status_code == 204:
            return []  # a null list (JAX-RS null entity); OM's RecordingDTO.list never returns one, but it is "none"
        if response.status_code != 200:
            _service_result(response, path)
            raise OMProtocolError(f"{path} failed", response.status_code)
        return _recordings(_decode(response, path), path)

    # -- plumbing ---------------------------------------------------------------

    async def _ensure_login_verb(self, *, refresh: bool = False) -> str:
        async with self._verb_lock:
            if self._login_verb is None or refresh:
                info = await self.version()
                self.version_seen = info.version
                # 9.0 moved login to POST + form (CVE-2026-34020); 7.x/8.x take GET + query.
                self._login_verb = "GET" if 0 < info.major < 9 else "POST"
            return self._login_verb

    async def _send_login(self, verb: str, user: str, password: str) -> httpx.Response:
        fields = {"user": user, "pass": password}
        if verb == "POST":
            return await self._request("POST", "/user/login", "/user/login", data=fields, wait=self._login_timeout)
        return await self._request("GET", "/user/login", "/user/login", params=fields, wait=self._login_timeout)

    async def _json(self, path: str) -> Any:
        """A GET of a fixed path (its own endpoint label) answering JSON."""
        response = await self._request("GET", path, path)
        if response.status_code != 200:
            raise OMProtocolError(f"{path} answered HTTP {response.status_code}", response.status_code)
        return _decode(response, path)

    async def _request(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        wait: float | None = None,
    ) -> httpx.Response:
        url: httpx.URL | str
        if params:
            url = self._api + path
        else:
            url = self._urls.get(path) or self._urls.setdefault(path, httpx.URL(self._api + path))
        started = time.perf_counter()
        try:
            response = await self._http.request(method, url, params=params, data=data, timeout=wait or self._timeout)
        except httpx.TimeoutException as exc:
            raise OMTimeoutError(f"OpenMeetings did not answer {endpoint} in time") from exc
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            # Something answered, but not in HTTP (a wrong port, a TLS port spoken to in plain HTTP), or a body
            # cut short or badly encoded.
            raise OMProtocolError(
                f"OpenMeetings answered {endpoint} with a malformed HTTP response ({_transport_reason(exc)})"
            ) from exc
        except httpx.TransportError as exc:
            if _is_tls_failure(exc):
                raise OMTLSError(
                    "TLS handshake with OpenMeetings failed (self-signed certificate? set OPENMEETINGS_CA_BUNDLE)"
                ) from exc
            raise OMUnreachableError(f"OpenMeetings is not reachable ({_transport_reason(exc)})") from exc
        finally:
            if self._observe is not None:
                self._observe(endpoint, time.perf_counter() - started)
        if response.status_code in (502, 503, 504):
            # A reverse proxy in front of a stopped or restarting Tomcat.
            raise OMUnreachableError(f"OpenMeetings answered HTTP {response.status_code} on {endpoint}")
        if response.status_code == 404:
            raise OMProtocolError(
                f"{endpoint} not found: check that OPENMEETINGS_URL ends with the web app path (usually /openmeetings)",
                404,
            )
        if response.status_code == 500 and response.headers.get("exception") == NOT_ALLOWED:
            raise OMNotAllowedError(f"OpenMeetings answered {NOT_ALLOWED} on {endpoint}")
        return response


def _decode(response: httpx.Response, path: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        kind = response.headers.get("content-type", "unknown content").split(";")[0]
        raise OMProtocolError(
            f"{path} answered HTTP {response.status_code} with {kind}, not JSON", response.status_code
        ) from exc


def _unwrap(data: Any, root: str) -> Any:
    if isinstance(data, dict) and root in data:
        return data[root]
    raise OMProtocolError(f"expected a {root!r} object from OpenMeetings")


def _recordings(data: Any, path: str) -> list[Recording]:
    """``{"recordingDTO": [...]}``, read in every shape Jettison and CXF may give it.

    CXF's JSONProvider.marshalCollection writes a top-level list as an array, ``[]`` when empty; the forms of
    Jettison's nested lists (one item as an object, none as no key at all) are read as well.
    """
    if not isinstance(data, dict) or any(key != "recordingDTO" for key in data):
        raise OMProtocolError(f"{path} answered without a 'recordingDTO' list")
    recordings = []
    for item in as_list(data.get("recordingDTO")):
        if not isinstance(item, dict) or "id" not in item or _is_folder(item):
            continue
        try:
            recordings.append(Recording.from_wire(item))
        except (TypeError, ValueError):
            raise OMProtocolError(f"{path} answered a recording without a numeric id") from None
    return recordings


def _is_folder(item: dict[str, Any]) -> bool:
    # getRecordingsByRoom does not filter on the type, and RecordingDTO does not carry it: a folder made in the
    # recordings tree while one of the room's recordings was selected takes that room's id
    # (FileTreePanel.createFolder). It keeps the NONE status and never has a start, which every recording has
    # from the moment it begins (KRoom.startRecording).
    return str(item.get("status") or "NONE").upper() == "NONE" and item.get("start") is None


def _service_result(response: httpx.Response, path: str) -> tuple[bool, str]:
    """(succeeded, message). Raises for anything that is not a ServiceResult."""
    if response.status_code not in (200, 500):
        raise OMProtocolError(f"{path} answered HTTP {response.status_code}", response.status_code)
    result = _unwrap(_decode(response, path), "serviceResult")
    if not isinstance(result, dict):
        raise OMProtocolError(f"{path} answered a malformed serviceResult", response.status_code)
    # Jettison writes digit-only strings as numbers: a count may arrive as 3, not "3".
    raw = result.get("message")
    message = "" if raw is None else str(raw)
    if message == NOT_ALLOWED:
        raise OMNotAllowedError(f"OpenMeetings answered {NOT_ALLOWED} on {path}")
    ok = response.status_code == 200 and result.get("type") == "SUCCESS"
    return ok, message


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in type(exc).__name__


def _transport_reason(exc: httpx.RequestError) -> str:
    text = str(exc).strip()
    # httpx messages name the host and port at most; cut them short all the same.
    return _short(text) if text else type(exc).__name__


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
