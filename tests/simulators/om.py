"""A faithful HTTP simulator of the Apache OpenMeetings REST API and its ``/hash`` join page.

Behaviour is grounded in the OM source (apache/openmeetings 9.x); comments name the class each rule rests on.
The point is to be exactly as unkind as OM: SIDs die after idle time, a used hash re-points the SID that made it,
the external user is stored on the SID (not on the hash), digit-only strings turn into JSON numbers, and so on.
Do not make it nicer.

Standalone: ``python -m tests.simulators.om --port 5080 --version 9.1.0 --idle-timeout 1800``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import random
import re
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web

__all__ = ["Join", "OMSimulator", "OMUser", "Recording", "RequestRecord", "Room", "Session", "SoapLogin"]

BASE = "/openmeetings"
SERVICES = BASE + "/services"
ROOM_TYPES = ("CONFERENCE", "PRESENTATION", "INTERVIEW")  # Room.Type enum (Room.java), case-sensitive
RECORDING_STATUSES = ("NONE", "RECORDING", "CONVERTING", "PROCESSED", "ERROR")  # Recording.Status (Recording.java)
_BROWSER_HEADER = "X-OM-Sim-Browser"  # only open_join_url() sends it, to find "its" Join
_FORM: web.RequestKey[dict[str, str]] = web.RequestKey("om_form", dict)
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


@dataclass
class OMUser:
    id: int
    login: str
    password: str | None
    rights: set[str]
    type: str = "USER"  # USER | EXTERNAL (LDAP/OAUTH/CONTACT behave like EXTERNAL: UserDao.login takes USER only)
    groups: set[str] = field(default_factory=lambda: {"default"})
    firstname: str = ""
    lastname: str = ""
    email: str = ""
    picture_uri: str = ""
    external_id: str | None = None
    external_type: str | None = None


@dataclass
class Room:
    id: int
    name: str
    type: str = "CONFERENCE"
    is_public: bool = True
    external_id: str | None = None
    external_type: str | None = None
    capacity: int = 50
    # Extra: OM's own example room (RoomDTOListWrapper.java) hides one element, which exercises Jettison's
    # one-element-list collapse.
    hidden_elements: list[str] = field(default_factory=list)


@dataclass
class Recording:
    """A row of OM's recordings table (Recording.java, a BaseFileItem), as ``GET /record/room/{roomid}`` sees it."""

    id: int
    room_id: int | None
    name: str = "Recording"
    status: str = "PROCESSED"
    start: datetime | None = None
    end: datetime | None = None
    owner_id: int | None = None
    interview: bool = False
    width: int | None = None
    height: int | None = None
    deleted: bool = False
    folder: bool = False  # BaseFileItem.Type.FOLDER: listed with the room's recordings, never playable
    hash: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def video_exists(self) -> bool:
        # BaseFileItem.exists(): the MP4 on disk, which BaseConverter writes just before it sets PROCESSED.
        return self.status == "PROCESSED" and not self.folder and not self.deleted


@dataclass
class Join:
    user: OMUser
    room_id: int | None
    moderator: bool
    language: int | None
    hash: str
    # HashPage.onInitialize: a hash whose SOAPLogin has a recordingId opens the recording player, never the room.
    recording_id: int | None = None
    # The player's VideoInfo was filled: recDao.get found the recording (not deleted).
    recording_found: bool = False
    # The player's VideoPlayer container is visible: the recording's video exists (it is processed).
    video_shown: bool = False


@dataclass
class Session:
    sid: str
    user_id: int
    created: float  # time.monotonic()
    refreshed: float
    xml: dict[str, str | None] | None = None
    permanent: bool = False


@dataclass
class SoapLogin:
    hash: str
    session_sid: str
    room_id: int | None
    external_room_id: str
    external_type: str
    moderator: bool
    allow_same_url: bool
    used: bool = False
    use_date: float | None = None  # time.monotonic()
    recording_id: int | None = None
    # Test bookkeeping, not OM state: whom the hash was asked for (OM keeps that on the SID, where the
    # last /user/hash call overwrites it).
    requested_for: str | None = None


@dataclass
class RequestRecord:
    method: str
    path: str  # relative to /openmeetings
    query: dict[str, str]
    form: dict[str, str]
    status: int  # 0 while in flight, or if no response was ever sent (client gone / server stopped)
    t_start: float  # time.monotonic()
    t_end: float
    content_type: str = ""


class _BadParam(Exception):
    """A JAX-RS parameter conversion failure (fromString threw)."""


# ---------------------------------------------------------------- wire format (CXF JSONProvider, Jettison, openjson)


def _jettison_scalar(text: str) -> Any:
    # Jettison's DefaultConverter: Long, then Double, then Boolean, kept only if the value's
    # Java toString() gives back the exact text. So "42" -> 42, "007" stays a string, "1.5" -> 1.5.
    if re.fullmatch(r"-?\d+", text):
        n = int(text)
        if _LONG_MIN <= n <= _LONG_MAX and str(n) == text:
            return n
    if re.fullmatch(r"-?\d+\.\d+", text):
        f = float(text)
        if (f == 0 or 1e-3 <= abs(f) < 1e7) and repr(f) == text:
            return f
    if text in ("true", "false"):
        return text == "true"
    return text


def _jettison(value: Any, nested: bool = False) -> Any:
    """Marshal like CXF JSONProvider + Jettison "mapped" convention (root wrapper as in WS/schema/*Wrapper.java)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue  # JAXB writes no element for null
            if isinstance(item, list | set | tuple):
                items = [_jettison(i, True) for i in item]
                if not items:
                    continue  # empty nested list: no element at all
                out[key] = items[0] if len(items) == 1 else items  # one element: collapses to a scalar
            else:
                out[key] = _jettison(item, True)
        return out
    if isinstance(value, bool):
        return _jettison_scalar("true" if value else "false")
    return _jettison_scalar(str(value))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)


def _result(message: str, ok: bool = True, status: int = 200) -> web.Response:
    # ServiceResult.java: only message + type, no "code"; digits in message become a number (Jettison).
    body = {"serviceResult": _jettison({"message": message, "type": "SUCCESS" if ok else "ERROR"})}
    # OmExceptionHandler adds an `exception` header on every mapped ServiceException (HTTP 500).
    headers = {"exception": message} if status == 500 else None
    return _json(body, status, headers)


def _npe(method: str, var: str) -> web.Response:
    # BaseWebService.performCall: an exception inside the call becomes ServiceException(err.getMessage()) -> 500.
    return _result(f'Cannot invoke "{method}" because "{var}" is null', ok=False, status=500)


_TOMCAT_500 = (
    '<!doctype html><html lang="en"><head><title>HTTP Status 500 - Internal Server Error</title></head>'
    "<body><h1>HTTP Status 500 - Internal Server Error</h1><p><b>Type</b> Exception Report</p>"
    "<p><b>Message</b> No enum constant org.apache.openmeetings.db.entity.room.Room.Type.{t}</p></body></html>"
)


def _java_str(value: Any) -> str:
    # openjson JSONObject.optString -> JSON.toString = String.valueOf(value): JSON null is the *string* "null".
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _parse_obj(text: str) -> dict[str, Any]:
    # ExternalUserDTO/RoomOptionsDTO.fromString do `new JSONObject(s)`; anything but a JSON object throws.
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise _BadParam(str(exc)) from exc
    if not isinstance(obj, dict):
        raise _BadParam("A JSONObject text must begin with '{'")
    return obj


def _opt_string(o: dict[str, Any], key: str, fallback: str | None) -> str | None:
    return _java_str(o[key]) if key in o else fallback


def _opt_bool(o: dict[str, Any], key: str) -> bool:
    # openjson JSONObject.optBoolean (JSON.toBoolean) coerces "true"/"false" strings (any case), else the default false.
    v = o.get(key)
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return False


def _opt_long(o: dict[str, Any], key: str) -> int | None:
    # DtoHelper.optLong (used by RoomOptionsDTO.fromString): has && !isNull ? getLong : null; openjson getLong takes
    # a number or a numeric string and throws otherwise (-> the whole parameter fails to convert).
    v = o.get(key)
    if v is None:
        return None
    if isinstance(v, bool):
        raise _BadParam(f"JSONObject[{key}] is not a number")
    if isinstance(v, int | float):
        return int(v)
    try:
        return int(float(str(v)))
    except ValueError as exc:
        raise _BadParam(f"JSONObject[{key}] is not a number") from exc


def _external_user(text: str) -> dict[str, str | None]:
    # ExternalUserDTO.fromString (ExternalUserDTO.java): every field optString(key, null).
    o = _parse_obj(text)
    keys = ("login", "firstname", "lastname", "profilePictureUrl", "email", "externalId", "externalType")
    return {k: _opt_string(o, k, None) for k in keys}


def _room_options(text: str) -> dict[str, Any]:
    # RoomOptionsDTO.fromString (RoomOptionsDTO.java): booleans default false, external fields default "".
    o = _parse_obj(text)
    return {
        "roomId": _opt_long(o, "roomId"),
        "recordingId": _opt_long(o, "recordingId"),
        "externalRoomId": _opt_string(o, "externalRoomId", ""),
        "externalType": _opt_string(o, "externalType", ""),
        "moderator": _opt_bool(o, "moderator"),
        "allowSameURLMultipleTimes": _opt_bool(o, "allowSameURLMultipleTimes"),
    }


def _path_long(text: str) -> int | None:
    # JAX-RS converts a Long path param; failure means 404 (no matching resource).
    with contextlib.suppress(ValueError):
        n = int(text)
        if _LONG_MIN <= n <= _LONG_MAX:
            return n
    return None


def _xs_datetime(value: datetime, zone: tzinfo) -> str:
    # RecordingDTO's Date fields carry no XmlJavaTypeAdapter, so JAXB prints xs:dateTime (DatatypeConverterImpl):
    # the JVM's default zone, milliseconds only when not zero, "Z" for a zero offset, else +HH:MM.
    local = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    millis = local.microsecond // 1000  # java.util.Date holds milliseconds
    if millis:
        text += f".{millis:03d}"
    offset = local.utcoffset() or timedelta(0)
    if not offset:
        return text + "Z"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{text}{'-' if offset < timedelta(0) else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def _page(title: str, body: str) -> web.Response:
    doc = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"
    return web.Response(text=doc, content_type="text/html")


def _denied_page() -> web.Response:
    # HashPage.java: modal "Invalid hash" + label 1599 (Application.properties.xml), still HTTP 200.
    return _page(
        "Apache OpenMeetings",
        '<div class="modal"><h3>Invalid hash</h3><p>Access denied. You have no rights to enter this room.</p></div>',
    )


# ---------------------------------------------------------------- the simulator


class OMSimulator:
    def __init__(
        self,
        *,
        version: str = "9.1.0",
        idle_timeout: float = 1800.0,
        cleanup_interval: float | None = None,
        bad_password_delay: tuple[float, float] = (6.0, 16.0),
        latency: float = 0.0,
        api_login: str = "slackbot",
        api_password: str = "s3cret-pass",
        api_rights: set[str] | None = None,
        rooms: list[Room] | None = None,
    ) -> None:
        self._kick: asyncio.Event | None = None  # wakes the cleanup loop when its knobs change
        self.version = version
        self.idle_timeout = idle_timeout
        self.cleanup_interval = cleanup_interval
        self.bad_password_delay = bad_password_delay
        self.latency = latency
        self.health: dict[str, bool] = {"inited": True, "installed": True, "dbOk": True}
        self.users: dict[int, OMUser] = {}
        self._api_user_id = 1
        self.add_user(
            OMUser(
                id=1,
                login=api_login,
                password=api_password,
                rights=set(api_rights) if api_rights is not None else {"LOGIN", "SOAP", "ROOM", "DASHBOARD"},
                email=f"{api_login}@example.org",
            )
        )
        if rooms is None:
            rooms = [Room(id=i, name=f"Public Room {i}", hidden_elements=["MICROPHONE_STATUS"]) for i in range(1, 7)]
        self.rooms: dict[int, Room] = {r.id: r for r in rooms}
        # Recording and folder rows, in insertion order (the order of their ids).
        self.recordings: dict[int, Recording] = {}
        # The JVM's default time zone, in which JAXB prints RecordingDTO's dates.
        self.time_zone: tzinfo = UTC
        self.requests: list[RequestRecord] = []
        self.joins: list[Join] = []
        self.sessions: dict[str, Session] = {}
        self.hashes: dict[str, SoapLogin] = {}
        self.expired_sids: list[str] = []
        self.login_count = 0  # SIDs issued by /user/login
        self.concurrent_logins = 0
        self.max_concurrent_logins = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._cleanup_task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._browser_joins: dict[str, Join] = {}
        self._ssl: ssl.SSLContext | None = None
        # Fault injection: a callable that may answer a request in OM's place (an HTML error page,
        # broken JSON, a proxy's 502...). It sees the request after it is recorded.
        self.fault: Callable[[web.Request], web.StreamResponse | None] | None = None
        # Holds: a request to one of these paths (``/services/user/hash``) waits until its event is set, so a
        # test can look at what else reaches OM while such a call is still in progress.
        self.holds: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}{BASE}"

    @property
    def api_user(self) -> OMUser:
        return self.users[self._api_user_id]

    @api_user.setter
    def api_user(self, user: OMUser) -> None:
        self.users[user.id] = user
        self._api_user_id = user.id

    @property
    def idle_timeout(self) -> float:
        return self._idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, value: float) -> None:
        self._idle_timeout = value
        if self._kick is not None:
            self._kick.set()

    @property
    def cleanup_interval(self) -> float | None:
        """None means min(300, idle_timeout / 4).

        OM's CleanupJob runs every 300 s (applicationContext.xml); this is faster for short test timeouts.
        """
        return self._cleanup_interval

    @cleanup_interval.setter
    def cleanup_interval(self, value: float | None) -> None:
        self._cleanup_interval = value
        if self._kick is not None:
            self._kick.set()

    async def start(self, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        if self._runner is not None:
            return
        if ssl_context is not None:
            self._ssl = ssl_context
        self._changed = asyncio.Event()  # bind to the loop we are started in
        self._kick = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get(SERVICES + "/info/version", self._info_version)
        r.add_get(SERVICES + "/info/health", self._info_health)
        r.add_get(SERVICES + "/user/login", self._login, allow_head=False)
        r.add_post(SERVICES + "/user/login", self._login)
        r.add_post(SERVICES + "/user/hash", self._user_hash)
        r.add_get(SERVICES + "/room/public/{type}", self._room_public, allow_head=False)
        r.add_get(SERVICES + "/room/count/{roomid}", self._room_count, allow_head=False)
        r.add_get(SERVICES + "/room/{id}", self._room_get, allow_head=False)
        r.add_get(SERVICES + "/room/{type}/{externaltype}/{externalid}", self._room_external, allow_head=False)
        r.add_get(SERVICES + "/record/room/{roomid}", self._record_room, allow_head=False)
        # HEAD is a GET to Tomcat/Wicket and HashPage's constructor runs WebSession.checkHashes, so a link checker's
        # HEAD consumes a hash too.
        r.add_get(BASE + "/hash", self._hash_page)
        # Short shutdown_timeout: stop() must look like "OM went down", not wait for slow handlers.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port or self.port, ssl_context=self._ssl)
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self._cleanup_task = asyncio.create_task(self._cleanup_loop())

    async def stop(self) -> None:
        if self._cleanup_task is not None:
            self._cleanup_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cleanup_task
            self._cleanup_task = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        self._notify()

    async def restart(self) -> None:
        # An OM restart loses the Sessiondata SIDs as far as the bot cares; users/rooms/SOAPLogin rows stay.
        await self.stop()
        self.drop_sessions()
        await self.start(self.port)

    # ------------------------------------------------------------ state helpers

    def add_room(self, room: Room) -> None:
        self.rooms[room.id] = room
        self._notify()

    def add_recording(
        self,
        room_id: int | None,
        *,
        name: str = "Recording",
        status: str = "PROCESSED",
        start: datetime | None = None,
        end: datetime | None = None,
        owner_id: int | None = None,
        folder: bool = False,
        deleted: bool = False,
        width: int | None = None,
        height: int | None = None,
    ) -> Recording:
        """Adds a recording of ``room_id`` (OM does not check that the room exists), or a folder with ``folder``.

        A recording always has a start (KRoom.startRecording sets it); without one it started an hour ago. It has an
        end once it stopped (KRoom.stopRecording), so every status but RECORDING gets one, 30 minutes after the
        start, unless given. A folder has neither, and the NONE status (FileTreePanel.createFolder).
        """
        if status not in RECORDING_STATUSES:
            raise ValueError(f"{status!r} is not a Recording.Status")
        if folder:
            status = "NONE"
        else:
            start = start or datetime.now(UTC) - timedelta(hours=1)
            if end is None and status != "RECORDING":
                end = start + timedelta(minutes=30)
        rec = Recording(
            id=max(self.recordings, default=0) + 1,
            room_id=room_id,
            name=name,
            status=status,
            start=start,
            end=end,
            owner_id=owner_id,
            folder=folder,
            deleted=deleted,
            width=width,
            height=height,
        )
        self.recordings[rec.id] = rec
        self._notify()
        return rec

    def add_user(self, user: OMUser) -> OMUser:
        if user.id <= 0:
            user.id = max(self.users, default=0) + 1
        self.users[user.id] = user
        return user

    def drop_sessions(self) -> None:
        self.sessions.clear()
        self._notify()

    def expire_session(self, sid: str) -> None:
        if self.sessions.pop(sid, None) is not None:
            self.expired_sids.append(sid)
        self._notify()

    def login_sid(self) -> str:
        return self._new_session(self.api_user).sid

    def count(self, path_prefix: str, method: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
        )

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                last = [(r.method, r.path, r.status) for r in self.requests[-5:]]
                raise TimeoutError(
                    f"OMSimulator.wait_until: {getattr(predicate, '__name__', predicate)!r} still false after "
                    f"{timeout}s; {len(self.requests)} requests (last: {last}), {len(self.sessions)} sessions, "
                    f"{len(self.joins)} joins, expired_sids={self.expired_sids}"
                )
            event = self._changed
            # Woken by every request/state change; the 50 ms cap also lets time-only predicates make progress.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))

    async def open_join_url(self, url: str) -> Join | None:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost") or parts.port != self.port:
            raise ValueError(f"{url!r} does not point at this simulator ({self.base_url})")
        token = uuid.uuid4().hex
        # The "browser" trusts whatever certificate the simulator serves; TLS is tested on the bot side.
        async with httpx.AsyncClient(timeout=10.0 + self.latency, verify=False) as client:  # noqa: S501
            resp = await client.get(url, headers={_BROWSER_HEADER: token})
        resp.raise_for_status()
        return self._browser_joins.pop(token, None)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _new_session(self, user: OMUser) -> Session:
        now = time.monotonic()
        s = Session(sid=str(uuid.uuid4()), user_id=user.id, created=now, refreshed=now)
        self.sessions[s.sid] = s
        self._notify()
        return s

    def _idle(self, s: Session, now: float) -> bool:
        # CleanupJob.cleanSessions (query getSessionToDelete) deletes refreshed < now - timeout AND permanent = false.
        return not s.permanent and now - s.refreshed > self.idle_timeout

    def _expire(self, sid: str) -> None:
        del self.sessions[sid]
        self.expired_sids.append(sid)
        self._notify()

    def _check(self, sid: str | None) -> Session | None:
        """SessiondataDao.check: find + refresh. Idle expiry is applied lazily here as well."""
        s = self.sessions.get(sid) if sid else None
        if s is None:
            return None
        now = time.monotonic()
        if self._idle(s, now):
            self._expire(s.sid)
            return None
        s.refreshed = now
        return s

    def _perform(self, request: web.Request, right: str) -> Session | web.Response:
        # BaseWebService.performCall: sid from the QUERY only; refresh first (SessiondataDao.check), then a plain
        # set-membership right check (AuthLevelUtil.check) on the SID's *current* user. Both failures are the same
        # 500 error.notallowed.
        s = self._check(request.query.get("sid"))
        user = self.users.get(s.user_id) if s is not None else None
        if s is None or user is None or right not in user.rights:
            return _result("error.notallowed", ok=False, status=500)
        return s

    async def _cleanup_loop(self) -> None:
        kick = self._kick
        assert kick is not None
        last_run = time.monotonic()
        while True:
            interval = self.cleanup_interval
            if interval is None:
                interval = min(300.0, self.idle_timeout / 4)
            wait = last_run + max(interval, 0.01) - time.monotonic()
            if wait > 0:
                kick.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(kick.wait(), wait)
                continue  # re-read the knobs: a kick means they changed
            last_run = time.monotonic()
            for sid in [sid for sid, s in self.sessions.items() if self._idle(s, last_run)]:
                self._expire(sid)
            self._notify()

    async def _read_form(self, request: web.Request) -> dict[str, str]:
        # CXF reads @FormParam from urlencoded or multipart bodies only; a JSON body yields nothing.
        if request.method != "POST" or request.content_type not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            return {}
        data = await request.post()
        form: dict[str, str] = {}
        for key, value in data.items():
            if key in form:
                continue  # JAX-RS takes the first value
            if isinstance(value, str):
                form[key] = value
            elif isinstance(value, bytes | bytearray):
                form[key] = value.decode("utf-8", "replace")
            else:  # a multipart part sent with a filename: CXF still hands its text to @FormParam
                form[key] = value.file.read().decode("utf-8", "replace")
        return form

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        path = request.path[len(BASE) :] if request.path.startswith(BASE) else request.path
        rec = RequestRecord(
            method=request.method,
            path=path,
            query={k: request.query.get(k, "") for k in request.query},
            form={},
            status=0,
            t_start=time.monotonic(),
            t_end=0.0,
            content_type=request.content_type,
        )
        rec.form = await self._read_form(request)
        request[_FORM] = rec.form
        self.requests.append(rec)
        self._notify()
        is_login = path == "/services/user/login"
        if is_login:  # a login "in progress" includes latency and the bad-password penalty
            self.concurrent_logins += 1
            self.max_concurrent_logins = max(self.max_concurrent_logins, self.concurrent_logins)
        try:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            hold = self.holds.get(path)
            if hold is not None:
                await hold.wait()
            injected = self.fault(request) if self.fault is not None else None
            resp: web.StreamResponse = injected if injected is not None else await handler(request)
            rec.status = resp.status
            return resp
        except web.HTTPException as exc:
            rec.status = exc.status
            raise
        finally:
            if is_login:
                self.concurrent_logins -= 1
            rec.t_end = time.monotonic()
            self._notify()

    # ------------------------------------------------------------ /services/info (InfoWebService.java)

    async def _info_version(self, request: web.Request) -> web.Response:
        # InfoWebService takes no SID, so it does not keep a SID alive.
        info = {"version": self.version, "revision": "abc1234", "buildDate": "2026-07-13T10:00:00Z"}
        return _json({"info": _jettison(info)})

    async def _info_health(self, request: web.Request) -> web.Response:
        return _json({"health": _jettison(dict(self.health))})

    # ------------------------------------------------------------ /services/user (UserWebService.java)

    def _major(self) -> int:
        m = re.match(r"\d+", self.version)
        return int(m.group()) if m else 0

    async def _login(self, request: web.Request) -> web.Response:
        # 9.0 moved login to POST + form (CVE-2026-34020); <= 8.x is GET + query. The other verb has no resource
        # method -> 405 (JAX-RS; UserWebService.login, OPENMEETINGS-2816).
        post = self._major() >= 9
        if request.method != ("POST" if post else "GET"):
            raise web.HTTPMethodNotAllowed(request.method, ["POST" if post else "GET"])
        params: dict[str, str] = request[_FORM] if post else dict(request.query)
        name = (params.get("user") or "").strip().lower()
        # getUserByLoginOrEmail (User.java): type USER only, login or email, case-insensitive + trimmed (7.2+).
        user = next(
            (
                u
                for u in self.users.values()
                if u.type == "USER" and name and name in (u.login.lower(), u.email.lower())
            ),
            None,
        )
        if user is None or user.password is None or params.get("pass") != user.password:
            if post:  # UserDao.badPwdPenalty, added in 9.0.0 (OPENMEETINGS-2817)
                await asyncio.sleep(random.uniform(*self.bad_password_delay))
            return _result("error.bad.credentials", ok=False)
        # Order as in UserDao.login: password, then LOGIN right, then group. Always HTTP 200 (UserWebService.login).
        if "LOGIN" not in user.rights:
            return _result("error.notactivated", ok=False)
        if not user.groups:
            return _result("error.nogroup", ok=False)
        self.login_count += 1
        return _result(self._new_session(user).sid)

    async def _user_hash(self, request: web.Request) -> web.Response:
        form: dict[str, str] = request[_FORM]
        # JAX-RS converts form params (fromString) before the method runs, so bad JSON is a 400 even with a bad SID.
        try:
            user = _external_user(form["user"]) if "user" in form else None
            options = _room_options(form["options"]) if "options" in form else None
        except _BadParam as exc:
            return web.Response(status=400, text=f"Bad Request: {exc}")
        s = self._perform(request, "SOAP")
        if not isinstance(s, Session):
            return s
        if user is None:  # e.g. a JSON request body: @FormParam user is null (UserWebService.getRoomHash)
            return _npe("org.apache.openmeetings.db.dto.user.ExternalUserDTO.getExternalId()", "user")
        if not user["externalId"] or not user["externalType"]:
            return _result("externalId and/or externalType are not set", ok=False)  # HTTP 200 (getRoomHash)
        if options is None:
            return _npe("org.apache.openmeetings.db.dto.room.RoomOptionsDTO.getRoomId()", "options")
        # SOAPLoginDao.addSOAPLogin: no check that the room exists.
        soap = SoapLogin(
            hash=str(uuid.uuid4()),
            session_sid=s.sid,
            room_id=options["roomId"],
            external_room_id=options["externalRoomId"] or "",
            external_type=options["externalType"] or "",
            moderator=options["moderator"],
            allow_same_url=options["allowSameURLMultipleTimes"],
            recording_id=options["recordingId"],
            requested_for=user.get("externalId"),
        )
        self.hashes[soap.hash] = soap
        if soap.allow_same_url:
            s.permanent = True  # UserWebService.getRoomHash; CleanupJob never deletes it
        # getRoomHash stores the external user on the SID (sd.setXml), last call wins: every hash of this SID signs
        # in as this user (WebSession.signIn reads sd.getXml()).
        s.xml = user
        self._notify()
        return _result(soap.hash)

    # ------------------------------------------------------------ /services/room (RoomWebService.java)

    def _room_dto(self, room: Room) -> dict[str, Any]:
        dto = {
            "id": room.id,
            "name": room.name,
            "comment": "",
            "type": room.type,
            "capacity": room.capacity,
            "appointment": False,
            "isPublic": room.is_public,  # RoomDTO.java; not "public" as the generated spec says
            "demo": False,
            "closed": False,
            "externalId": room.external_id,
            "externalType": room.external_type,
            "moderated": False,
            "waitModerator": False,
            "allowUserQuestions": True,
            "allowRecording": True,
            "waitRecording": False,
            "audioOnly": False,
            "hiddenElements": list(room.hidden_elements),
            "files": [],
        }
        return _jettison(dto)

    async def _room_get(self, request: web.Request) -> web.Response:
        rid = _path_long(request.match_info["id"])
        if rid is None:
            raise web.HTTPNotFound()
        s = self._perform(request, "SOAP")
        if not isinstance(s, Session):
            return s
        room = self.rooms.get(rid)
        if room is None:  # RoomWebService.getRoomById: new RoomDTO(null) -> NPE -> 500
            return _npe("org.apache.openmeetings.db.entity.room.Room.getId()", "r")
        return _json({"roomDTO": self._room_dto(room)})

    async def _room_public(self, request: web.Request) -> web.Response:
        rtype = request.match_info["type"]
        # RoomWebService.getPublic: Room.Type.valueOf runs BEFORE performCall: unmapped
        # IllegalArgumentException, a Tomcat HTML 500, and the SID is neither checked nor refreshed.
        if rtype not in ROOM_TYPES:
            return web.Response(status=500, text=_TOMCAT_500.format(t=html.escape(rtype)), content_type="text/html")
        s = self._perform(request, "ROOM")
        if not isinstance(s, Session):
            return s
        rooms = [self._room_dto(r) for r in self.rooms.values() if r.is_public and r.type == rtype]
        return _json({"roomDTO": rooms})  # top-level list: always an array (CXF JSONProvider.marshalCollection)

    async def _room_count(self, request: web.Request) -> web.Response:
        rid = _path_long(request.match_info["roomid"])
        if rid is None:
            raise web.HTTPNotFound()
        s = self._perform(request, "SOAP")
        if not isinstance(s, Session):
            return s
        # RoomWebService.count: String.valueOf(count) -> Jettison's DefaultConverter makes it a JSON number.
        return _result(str(sum(1 for j in self.joins if j.room_id == rid)))

    async def _room_external(self, request: web.Request) -> web.Response:
        rtype, ext_type, ext_id = (request.match_info[k] for k in ("type", "externaltype", "externalid"))
        room_json: dict[str, Any] | None = None
        if "room" in request.query:
            # A failing @QueryParam conversion is a 404 in JAX-RS; RoomDTO.get demands a valid type.
            try:
                room_json = _parse_obj(request.query["room"])
            except _BadParam as exc:
                raise web.HTTPNotFound() from exc
            if room_json.get("type") not in ROOM_TYPES:
                raise web.HTTPNotFound()
        s = self._perform(request, "SOAP")
        if not isinstance(s, Session):
            return s
        if rtype not in ROOM_TYPES:  # RoomWebService.getExternal: valueOf inside performCall -> ServiceException
            msg = f"No enum constant org.apache.openmeetings.db.entity.room.Room.Type.{rtype}"
            return _result(msg, ok=False, status=500)
        for room in self.rooms.values():
            if room.type == rtype and room.external_type == ext_type and room.external_id == ext_id:
                return _json({"roomDTO": self._room_dto(room)})
        if room_json is None:
            return web.Response(status=204)  # getExternal returns null: JAX-RS null entity
        room = Room(
            id=max(self.rooms, default=0) + 1,
            name=_opt_string(room_json, "name", "") or "",
            type=room_json["type"],
            is_public=_opt_bool(room_json, "isPublic"),
            external_id=ext_id,
            external_type=ext_type,
            capacity=_opt_long(room_json, "capacity") or 4,
        )
        self.add_room(room)
        return _json({"roomDTO": self._room_dto(room)})

    # ------------------------------------------------------------ /services/record (RecordingWebService.java)

    def _recording_dto(self, rec: Recording) -> dict[str, Any]:
        # RecordingDTO(Recording): these fields, in this order; null ones are left out (JAXB).
        dto = {
            "id": rec.id,
            "name": rec.name,
            "hash": rec.hash,
            "roomId": rec.room_id,
            "status": rec.status,
            "interview": rec.interview,
            "start": _xs_datetime(rec.start, self.time_zone) if rec.start is not None else None,
            "end": _xs_datetime(rec.end, self.time_zone) if rec.end is not None else None,
            "width": rec.width,
            "height": rec.height,
            "ownerId": rec.owner_id,
        }
        return _jettison(dto)

    async def _record_room(self, request: web.Request) -> web.Response:
        rid = _path_long(request.match_info["roomid"])
        if rid is None:
            raise web.HTTPNotFound()
        s = self._perform(request, "SOAP")
        if not isinstance(s, Session):
            return s
        # RecordingDao.getByRoomId, named query getRecordingsByRoom: "r.deleted = false AND r.roomId = :roomId
        # ORDER BY r.type ASC, r.inserted": every owner's, folders first (Type.FOLDER sorts first), no check that
        # the room exists (a missing room has no recordings: 200 and an empty list).
        rows = [r for r in self.recordings.values() if r.room_id == rid and not r.deleted]
        rows.sort(key=lambda r: (not r.folder, r.id))
        # Top-level list: always an array, [] when empty (CXF JSONProvider.marshalCollection).
        return _json({"recordingDTO": [self._recording_dto(r) for r in rows]})

    # ------------------------------------------------------------ /hash: the browser page (HashPage, WebSession)

    async def _hash_page(self, request: web.Request) -> web.Response:
        secure = request.query.get("secure", "").strip()
        join = self._sign_in(secure, request.query.get("language", "")) if secure else None
        if join is not None:
            token = request.headers.get(_BROWSER_HEADER)
            if token:
                self._browser_joins[token] = join
        if join is not None and join.recording_id is not None:
            return self._player_page(join)
        if join is None or join.room_id is None:
            # Room not found still signs the browser in (Join recorded, hash used, SID re-pointed) but shows the
            # error (HashPage.java).
            return _denied_page()
        name = html.escape(f"{join.user.firstname} {join.user.lastname}".strip())
        return _page(
            f"Room {join.room_id}",
            f'<h1>Room {join.room_id}</h1><p id="user">{name}</p>'
            f'<p id="moderator">{"true" if join.moderator else "false"}</p>',
        )

    def _player_page(self, join: Join) -> web.Response:
        # HashPage.onInitialize, recId != null: the recording panel, and no error whatever recDao.get finds.
        # VideoInfo.update fills name and date only for a Recording; VideoPlayer shows the video only if it exists.
        rec = self.recordings.get(join.recording_id or 0)
        info = ""
        if join.recording_found and rec is not None:
            info = f'<p id="name">{html.escape(rec.name)}</p>'
        video = f'<video id="player" controls data-id="{rec.id}"></video>' if join.video_shown and rec else ""
        return _page("Apache OpenMeetings", f'<div id="panel-recording">{info}{video}</div>')

    def _sign_in(self, secure: str, language: str) -> Join | None:
        # WebSession.checkHashes -> signIn(secure, markUsed=true) (WebSession.java). No same-browser reload rule: every
        # request is treated as a new browser.
        soap = self.hashes.get(secure)
        if soap is None or (soap.used and not soap.allow_same_url):
            return None
        s = self._check(soap.session_sid)  # dead SID -> no xml -> fail: an unused hash dies with its SID
        if s is None or s.xml is None:
            return None
        xml = s.xml
        ext_id, ext_type = xml.get("externalId"), xml.get("externalType") or ""
        if not ext_id:
            return None
        room: Room | None
        if soap.external_room_id and soap.external_type:
            room = next(
                (
                    r
                    for r in self.rooms.values()
                    if r.external_type == soap.external_type and r.external_id == soap.external_room_id
                ),
                None,
            )
        else:
            room = self.rooms.get(soap.room_id) if soap.room_id is not None else None
        user = next(
            (
                u
                for u in self.users.values()
                if u.type == "EXTERNAL" and u.external_id == ext_id and u.external_type == ext_type
            ),
            None,
        )
        if user is None:
            user = self.add_user(
                OMUser(
                    id=0,
                    login=xml.get("login") or "",
                    password=None,
                    rights={"ROOM"},
                    type="EXTERNAL",
                    groups={ext_type},
                    firstname=xml.get("firstname") or "",
                    lastname=xml.get("lastname") or "",
                    email=xml.get("email") or "",
                    picture_uri=xml.get("profilePictureUrl") or "",
                    external_id=ext_id,
                    external_type=ext_type,
                )
            )
        else:  # WebSession.signIn updates only these three; login and email stay as first seen
            user.firstname = xml.get("firstname") or ""
            user.lastname = xml.get("lastname") or ""
            user.picture_uri = xml.get("profilePictureUrl") or ""
        soap.used = True
        soap.use_date = time.monotonic()
        # WebSession.signIn: sd.setUserId(externalUser.getId()), so the creating SID now belongs to the external user
        # (rights ROOM only): later SOAP calls on it fail.
        s.user_id = user.id
        s.refreshed = time.monotonic()
        lang = _path_long(language)  # HashPage: Wicket toLong(-1); only >= 0 is applied
        # WebSession.signIn keeps soapLogin.getRecordingId(); HashPage then opens the player and not the room,
        # with no check of who may watch: RecordingResourceReference serves the video of the session's recordingId.
        # recDao.get (query getFileById) skips deleted rows; a recordings folder is a Recording too, with no video.
        rec = self.recordings.get(soap.recording_id) if soap.recording_id is not None else None
        found = rec is not None and not rec.deleted
        join = Join(
            user=user,
            room_id=room.id if room is not None and soap.recording_id is None else None,
            moderator=soap.moderator,
            language=lang if lang is not None and lang >= 0 else None,
            hash=soap.hash,
            recording_id=soap.recording_id,
            recording_found=found,
            video_shown=found and rec is not None and rec.video_exists,
        )
        self.joins.append(join)
        self._notify()
        return join


# ---------------------------------------------------------------- standalone


async def _serve(port: int, version: str, idle_timeout: float) -> None:
    sim = OMSimulator(version=version, idle_timeout=idle_timeout)
    await sim.start(port)
    print(sim.base_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Apache OpenMeetings REST API simulator")
    parser.add_argument("--port", type=int, default=5080)
    parser.add_argument("--version", default="9.1.0")
    parser.add_argument("--idle-timeout", type=float, default=1800.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.version, args.idle_timeout))


if __name__ == "__main__":
    main()
