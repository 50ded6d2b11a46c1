"""A stand-in for Slack: the Web API methods the bot calls, response_url sinks, and a
driver that sends signed slash commands and button clicks the way Slack does.
(``socket_mode.py`` sends the same payloads over Socket Mode.)

Faults are knobs on the simulator (status codes, Retry-After, latency) so tests
can make Slack misbehave the ways it really does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.simulators.waiting import wait_for


@dataclass
class ApiCall:
    method: str
    params: dict[str, str]
    authorization: str | None
    # The JSON body as sent (chat.postMessage's blocks are a list in it), when the call had one.
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackUser:
    id: str
    name: str
    team_id: str = "T0TEAM001"
    enterprise_id: str | None = None
    real_name: str = ""
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    email: str = ""
    locale: str = "en-US"
    is_admin: bool = False
    is_owner: bool = False
    image: str = ""
    deleted: bool = False
    is_bot: bool = False
    is_restricted: bool = False

    def users_info(self) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "image_72": self.image or f"https://avatars.example.com/{self.id}_72.png",
            "image_192": self.image or f"https://avatars.example.com/{self.id}_192.png",
        }
        if self.email:
            profile["email"] = self.email
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "deleted": self.deleted,
            "locale": self.locale,
            "profile": profile,
        }
        if self.enterprise_id:
            user["enterprise_user"] = {"enterprise_id": self.enterprise_id, "id": self.id}
        return user


@dataclass
class Sink:
    """What one response_url received."""

    token: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    user_id: str = ""  # who made the request this response_url answers
    # Posts Slack refused (invalid_blocks): a test that sees one here has found a message Slack would not show.
    rejected: list[dict[str, Any]] = field(default_factory=list)


DEFAULT_SCOPES = ("commands", "users:read", "users:read.email", "chat:write", "im:write")


@dataclass
class DirectMessage:
    """What chat.postMessage posted into the bot's DM with a person."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]


class SlackSimulator:
    def __init__(self, *, bot_token: str = "xoxb-test-token-0000", app_token: str = "xapp-1-A0APP0001-0-test") -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.users: dict[str, SlackUser] = {}
        self.calls: list[ApiCall] = []
        self.sinks: dict[str, Sink] = {}
        # knobs
        self.users_info_status = 200
        self.users_info_error: str | None = None
        self.retry_after: int | None = None
        self.latency = 0.0
        self.response_status = 200
        # Posts to a response_url that fail (with response_status) before they succeed again.
        self.response_failures = 0
        self.team_id = "T0TEAM001"
        self.enterprise_id: str | None = None
        self.auth_test_error: str | None = None
        # The bot token's scopes, sent as Slack does in the x-oauth-scopes header of Web API answers.
        self.scopes: list[str] = list(DEFAULT_SCOPES)
        # apps.connections.open answers with the URL this returns (a SocketModeServer's open_url).
        self.connections_open: Callable[[], str] | None = None
        # Direct messages by the person they went to; the DM channel ids conversations.open handed out.
        self.dms: dict[str, list[DirectMessage]] = {}
        self._dm_channels: dict[str, str] = {}
        # views.publish: every Home view published, by the person it is for; views.open: modals, by person.
        self.home_views: dict[str, list[dict[str, Any]]] = {}
        self.modals: dict[str, list[dict[str, Any]]] = {}
        # trigger_id -> (the person whose click made it, when): views.open accepts each once, within 3 s.
        self.triggers: dict[str, tuple[str, float]] = {}
        self.trigger_lifetime = 3.0
        self._modal_ids: dict[str, tuple[str, int]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def add_user(self, user: SlackUser) -> SlackUser:
        self.users[user.id] = user
        return user

    def new_response_url(self) -> tuple[str, Sink]:
        token = secrets.token_hex(8)
        sink = Sink(token)
        self.sinks[token] = sink
        return f"{self.base_url}/actions/{token}", sink

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        await wait_for(self._changed, predicate, timeout, "Slack simulator")

    async def next_message(self, sink: Sink, index: int = 0, timeout: float = 5.0) -> dict[str, Any]:
        await self.wait_until(lambda: len(sink.messages) > index, timeout)
        return sink.messages[index]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- server -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/actions/{token}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = dict(request.query)
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                params.update({k: str(v) for k, v in body.items()})
            else:
                params.update({k: str(v) for k, v in (await request.post()).items()})
        auth = request.headers.get("Authorization")
        self.calls.append(ApiCall(method, params, auth, body))
        await self._notify()
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "apps.connections.open":
            return self._connections_open(auth)
        if auth != f"Bearer {self.bot_token}" and params.get("token") != self.bot_token:
            return web.json_response({"ok": False, "error": "invalid_auth" if auth else "not_authed"})
        scopes = {"x-oauth-scopes": ",".join(self.scopes)}
        if method == "auth.test":
            if self.auth_test_error:
                return web.json_response({"ok": False, "error": self.auth_test_error})
            answer = {"ok": True, "team_id": self.team_id, "user_id": "UBOT", "bot_id": "BBOT", "team": "Acme"}
            if self.enterprise_id:
                answer["enterprise_id"] = self.enterprise_id
            return web.json_response(answer, headers=scopes)
        if method == "users.info":
            return self._users_info(params)
        if method == "conversations.open":
            return self._conversations_open(params, scopes)
        if method == "chat.postMessage":
            return await self._post_message(params, body, scopes)
        if method == "views.publish":
            return await self._views_publish(params, body, scopes)
        if method == "views.open":
            return await self._views_open(params, body, scopes)
        if method == "views.update":
            return await self._views_update(params, body, scopes)
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    async def _views_publish(
        self, params: dict[str, str], body: dict[str, Any], scopes: dict[str, str]
    ) -> web.Response:
        user_id, view = params.get("user_id", ""), body.get("view")
        if user_id not in self.users:
            return web.json_response({"ok": False, "error": "user_not_found"}, headers=scopes)
        problem = view_problem(view, "home")
        if problem is not None:
            return web.json_response({"ok": False, "error": "invalid_arguments", "problem": problem}, headers=scopes)
        assert isinstance(view, dict)
        self.home_views.setdefault(user_id, []).append(view)
        await self._notify()
        return web.json_response({"ok": True, "view": {"id": "V0HOME", **view}}, headers=scopes)

    async def _views_open(self, params: dict[str, str], body: dict[str, Any], scopes: dict[str, str]) -> web.Response:
        user_id, made = self.triggers.pop(params.get("trigger_id", ""), ("", 0.0))
        if not user_id or time.monotonic() - made > self.trigger_lifetime:
            return web.json_response({"ok": False, "error": "expired_trigger_id"}, headers=scopes)
        view = body.get("view")
        problem = view_problem(view, "modal")
        if problem is not None:
            return web.json_response({"ok": False, "error": "invalid_arguments", "problem": problem}, headers=scopes)
        assert isinstance(view, dict)
        self.modals.setdefault(user_id, []).append(view)
        view_id = f"V0MODAL{len(self._modal_ids)}"
        self._modal_ids[view_id] = (user_id, len(self.modals[user_id]) - 1)
        await self._notify()
        return web.json_response({"ok": True, "view": {"id": view_id, **view}}, headers=scopes)

    async def _views_update(self, params: dict[str, str], body: dict[str, Any], scopes: dict[str, str]) -> web.Response:
        where = self._modal_ids.get(params.get("view_id", ""))
        if where is None:
            return web.json_response({"ok": False, "error": "not_found"}, headers=scopes)
        view = body.get("view")
        problem = view_problem(view, "modal")
        if problem is not None:
            return web.json_response({"ok": False, "error": "invalid_arguments", "problem": problem}, headers=scopes)
        assert isinstance(view, dict)
        user_id, index = where
        self.modals[user_id][index] = view
        await self._notify()
        return web.json_response({"ok": True, "view": {"id": params["view_id"], **view}}, headers=scopes)

    def _conversations_open(self, params: dict[str, str], scopes: dict[str, str]) -> web.Response:
        if "im:write" not in self.scopes:
            return web.json_response({"ok": False, "error": "missing_scope", "needed": "im:write"}, headers=scopes)
        users = [u for u in params.get("users", "").split(",") if u]
        if len(users) != 1:
            return web.json_response({"ok": False, "error": "invalid_arguments"}, headers=scopes)
        user = self.users.get(users[0])
        if user is None:
            return web.json_response({"ok": False, "error": "user_not_found"}, headers=scopes)
        if user.deleted:
            return web.json_response({"ok": False, "error": "user_disabled"}, headers=scopes)
        if user.is_bot:
            return web.json_response({"ok": False, "error": "cannot_dm_bot"}, headers=scopes)
        channel = self._dm_channels.setdefault(user.id, "D" + user.id[1:])
        return web.json_response({"ok": True, "channel": {"id": channel}}, headers=scopes)

    async def _post_message(self, params: dict[str, str], body: dict[str, Any], scopes: dict[str, str]) -> web.Response:
        if "chat:write" not in self.scopes:
            return web.json_response({"ok": False, "error": "missing_scope", "needed": "chat:write"}, headers=scopes)
        channel = params.get("channel", "")
        owner = next((user for user, dm in self._dm_channels.items() if dm == channel), None)
        if owner is None:
            return web.json_response({"ok": False, "error": "channel_not_found"}, headers=scopes)
        blocks = body.get("blocks") if isinstance(body.get("blocks"), list) else []
        if block_kit_problem(blocks) is not None:
            return web.json_response({"ok": False, "error": "invalid_blocks"}, headers=scopes)
        text = params.get("text", "")
        if not text and not blocks:
            return web.json_response({"ok": False, "error": "no_text"}, headers=scopes)
        self.dms.setdefault(owner, []).append(DirectMessage(channel, text, blocks))
        await self._notify()
        return web.json_response({"ok": True, "channel": channel, "ts": f"{time.time():.6f}"}, headers=scopes)

    def _connections_open(self, auth: str | None) -> web.Response:
        # Only an app-level token opens a Socket Mode connection; a bot token is the wrong kind.
        if auth == f"Bearer {self.app_token}":
            if self.connections_open is None:
                return web.json_response({"ok": False, "error": "socket_mode_not_enabled"})
            return web.json_response({"ok": True, "url": self.connections_open()})
        if auth == f"Bearer {self.bot_token}":
            return web.json_response({"ok": False, "error": "not_allowed_token_type"})
        return web.json_response({"ok": False, "error": "invalid_auth" if auth else "not_authed"})

    def _users_info(self, params: dict[str, str]) -> web.Response:
        if self.retry_after is not None:
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(self.retry_after)}
            )
        if self.users_info_status != 200:
            return web.Response(status=self.users_info_status, text="upstream error")
        if self.users_info_error:
            return web.json_response({"ok": False, "error": self.users_info_error})
        user = self.users.get(params.get("user", ""))
        if user is None:
            return web.json_response({"ok": False, "error": "user_not_found"})
        info = user.users_info()
        if params.get("include_locale") != "true":
            info.pop("locale", None)
        return web.json_response({"ok": True, "user": info})

    async def _response_url(self, request: web.Request) -> web.Response:
        sink = self.sinks.get(request.match_info["token"])
        if sink is None:
            return web.Response(status=404, text="no_such_response_url")
        if self.latency:
            await asyncio.sleep(self.latency)
        sink.attempts += 1
        if self.response_failures > 0:
            self.response_failures -= 1
            await self._notify()
            return web.Response(status=self.response_status, text="error")
        message = await request.json()
        if "blocks" in message and block_kit_problem(message["blocks"]) is not None:
            # What Slack answers a response_url post whose blocks it refuses.
            sink.rejected.append(message)
            await self._notify()
            return web.Response(status=400, text="invalid_blocks")
        sink.messages.append(message)
        await self._notify()
        return web.Response(text="ok")


def block_kit_problem(blocks: Any, limit: int = 50) -> str | None:
    """Why Slack would refuse these blocks (``invalid_blocks``), checked with slack_sdk's own models; None if fine."""
    if not isinstance(blocks, list):
        return "blocks is not a list"
    if len(blocks) > limit:
        return f"{len(blocks)} blocks, more than {limit}"
    for raw in blocks:
        try:
            block = Block.parse(raw)
            if block is None:
                return f"not a block: {raw!r:.80}"
            block.validate_json()
        except SlackObjectFormationError as exc:
            return str(exc)
        if block.to_dict() != raw:
            return f"fields slack_sdk does not know in {raw!r:.80}"
    return None


def view_problem(view: Any, kind: str) -> str | None:
    """Why Slack would refuse this Home tab or modal view (checked with slack_sdk's View model); None if fine."""
    if not isinstance(view, dict) or view.get("type") != kind:
        return f"not a {kind} view"
    problem = block_kit_problem(view.get("blocks"), limit=100)
    if problem is not None:
        return problem
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as exc:
        return str(exc)
    return None


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature over ``v0:<timestamp>:<body>``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass
class Sent:
    ack: httpx.Response
    sink: Sink
    elapsed: float


class SlackDriver:
    """Sends what Slack sends to a bot's request URL, signed with the app's signing secret."""

    def __init__(self, slack: SlackSimulator, events_url: str, signing_secret: str, http: httpx.AsyncClient) -> None:
        self.slack = slack
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.http = http

    def command_body(
        self, user: SlackUser, text: str, *, channel: str = "C0CHANNEL1", channel_name: str = "general"
    ) -> tuple[str, Sink]:
        fields, sink = command_fields(self.slack, user, text, channel=channel, channel_name=channel_name)
        return urlencode(fields), sink

    async def post(self, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            self.events_url, content=body, headers=headers or sign(self.signing_secret, body), timeout=10
        )

    async def command(self, user: SlackUser, text: str = "", **kwargs: Any) -> Sent:
        body, sink = self.command_body(user, text, **kwargs)
        start = time.perf_counter()
        ack = await self.post(body)
        return Sent(ack, sink, time.perf_counter() - start)

    def click_body(
        self, user: SlackUser, message: dict[str, Any], button: dict[str, Any] | None = None
    ) -> tuple[str, Sink]:
        payload, sink = click_payload(self.slack, user, message, button)
        return urlencode({"payload": json.dumps(payload)}), sink

    async def click(self, user: SlackUser, message: dict[str, Any], button: dict[str, Any] | None = None) -> Sent:
        """Clicks ``button`` (default: the message's Join link button) as ``user``."""
        body, sink = self.click_body(user, message, button)
        start = time.perf_counter()
        ack = await self.post(body)
        return Sent(ack, sink, time.perf_counter() - start)

    async def home_opened(self, user: SlackUser, tab: str = "home") -> httpx.Response:
        """The Events API callback Slack posts when ``user`` opens the app's Home (or Messages) tab."""
        body = json.dumps(app_home_opened(self.slack, user, tab))
        headers = {**sign(self.signing_secret, body), "Content-Type": "application/json"}
        return await self.post(body, headers)

    async def home_click(self, user: SlackUser, button: dict[str, Any]) -> httpx.Response:
        """A click on ``button`` in the Home tab the bot last published for ``user`` (no response_url there)."""
        body = urlencode({"payload": json.dumps(home_click_payload(self.slack, user, button))})
        return await self.post(body)

    async def url_verification(self, challenge: str) -> httpx.Response:
        body = json.dumps({"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"})
        return await self.post(body, {**sign(self.signing_secret, body), "Content-Type": "application/json"})


def app_home_opened(slack: SlackSimulator, user: SlackUser, tab: str = "home") -> dict[str, Any]:
    """An ``event_callback`` with an ``app_home_opened`` event, as Slack sends it over HTTP and Socket Mode."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user.id,
        "channel": "D" + user.id[1:],
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    published = slack.home_views.get(user.id)
    if tab == "home" and published:
        event["view"] = {"id": "V0HOME", "type": "home", **{k: published[-1][k] for k in ("blocks",)}}
    return {
        "token": "legacy-verification-token",
        "team_id": user.team_id,
        "enterprise_id": user.enterprise_id,
        "api_app_id": "A0APP0001",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": user.team_id, "user_id": "UBOT", "is_bot": True}],
        "is_ext_shared_channel": False,
    }


def home_click_payload(slack: SlackSimulator, user: SlackUser, button: dict[str, Any]) -> dict[str, Any]:
    """block_actions from a Home tab view: a view container and a trigger_id, but no response_url."""
    trigger = f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**9)}"
    slack.triggers[trigger] = (user.id, time.monotonic())
    return {
        "type": "block_actions",
        "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id},
        "api_app_id": "A0APP0001",
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": trigger,
        "team": {"id": user.team_id, "domain": "acme"},
        "enterprise": {"id": user.enterprise_id, "name": "Acme Grid"} if user.enterprise_id else None,
        "is_enterprise_install": False,
        "view": {"id": "V0HOME", "type": "home"},
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "home",
                "text": button["text"],
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def command_fields(
    slack: SlackSimulator, user: SlackUser, text: str, *, channel: str = "C0CHANNEL1", channel_name: str = "general"
) -> tuple[dict[str, str], Sink]:
    """What Slack sends for ``/meet <text>``: form fields over HTTP, the same as a JSON payload over Socket Mode."""
    response_url, sink = slack.new_response_url()
    sink.user_id = user.id
    fields = {
        "token": "legacy-verification-token",
        "team_id": user.team_id,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user.id,
        "user_name": user.name,
        "command": "/meet",
        "text": text,
        "api_app_id": "A0APP0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**9)}",
    }
    if user.enterprise_id:
        fields["enterprise_id"] = user.enterprise_id
        fields["enterprise_name"] = "Acme Grid"
    return fields, sink


def click_payload(
    slack: SlackSimulator, user: SlackUser, message: dict[str, Any], button: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Sink]:
    """The block_actions payload of a click on ``button`` (default: the message's Join link button)."""
    button = button or join_button(message)
    response_url, sink = slack.new_response_url()
    sink.user_id = user.id
    in_channel = message.get("response_type") == "in_channel"
    payload = {
        "type": "block_actions",
        "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id},
        "api_app_id": "A0APP0001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": f"{time.time():.6f}",
            "channel_id": "C0CHANNEL1",
            "is_ephemeral": not in_channel,
        },
        "trigger_id": f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**9)}",
        "team": {"id": user.team_id, "domain": "acme"},
        "enterprise": {"id": user.enterprise_id, "name": "Acme Grid"} if user.enterprise_id else None,
        "is_enterprise_install": False,
        "channel": {"id": "C0CHANNEL1", "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "join",
                "text": button["text"],
                "value": button.get("value", ""),
                "style": "primary",
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return payload, sink


def join_button(message: dict[str, Any]) -> dict[str, Any]:
    for block in message.get("blocks", []):
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                if element.get("type") == "button" and element.get("url"):
                    return element
    raise AssertionError(f"no join button in message: {json.dumps(message)[:500]}")


def buttons(message: dict[str, Any], action_id: str | None = None) -> list[dict[str, Any]]:
    """Every button in the message (in block order), optionally only those with ``action_id``."""
    found: list[dict[str, Any]] = []
    for block in message.get("blocks", []):
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        found += [b for b in candidates if b.get("type") == "button"]
    return [b for b in found if action_id is None or b.get("action_id") == action_id]


def message_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: fallback text and every block's text."""
    parts = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)
