"""The Slack calls the bot makes: ``users.info``, ``auth.test``, posts to a ``response_url``, and direct messages
(``conversations.open`` + ``chat.postMessage``) for invitations.

Both go through the process's one pooled ``httpx.AsyncClient``. Neither logs a
URL: a response_url is a credential for posting into the conversation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

import httpx

log = logging.getLogger(__name__)

USERS_INFO_TTL = 300.0
USERS_INFO_TIMEOUT = 3.0
OWN_TEAM_RETRY = 10.0
# A users.info failure is remembered this long, so one /meet asks Slack once however many steps need the profile.
FAILURE_MEMORY = 10.0
_CACHE_SIZE = 5000
_RESPOND_TRIES = 3
_RESPOND_TIMEOUT = 10.0


class SlackAPI:
    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        # Fixed endpoints, parsed once: httpx parses a URL string on every request.
        self._api = httpx.URL(base_url)
        self._users_info_url = httpx.URL(base_url + "users.info")
        self._auth_test_url = httpx.URL(base_url + "auth.test")
        self._open_url = httpx.URL(base_url + "conversations.open")
        self._post_url = httpx.URL(base_url + "chat.postMessage")
        self._publish_url = httpx.URL(base_url + "views.publish")
        self._modal_url = httpx.URL(base_url + "views.open")
        self._update_url = httpx.URL(base_url + "views.update")
        self._auth = {"Authorization": f"Bearer {token}"}
        self._users: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._failed: dict[str, float] = {}
        self._rate_limited_until = 0.0
        self._own_team: tuple[str, str | None] | None = None
        self._own_team_retry = 0.0
        self.errors = 0
        # The latest Slack problem, for /healthz: (monotonic time, what happened). Never a URL or token.
        self.last_problem: tuple[float, str] | None = None

    def _problem(self, what: str) -> None:
        self.last_problem = (time.monotonic(), what)

    def recent_problem(self, within: float = 300.0) -> str | None:
        """The latest Slack problem if it happened in the last ``within`` seconds."""
        if self.last_problem is None or time.monotonic() - self.last_problem[0] > within:
            return None
        return self.last_problem[1]

    async def own_team(self) -> tuple[str, str | None] | None:
        """(team id, enterprise id) of the bot token, from ``auth.test``; None while Slack can't say."""
        if self._own_team is not None or time.monotonic() < self._own_team_retry:
            return self._own_team
        try:
            response = await self._http.post(self._auth_test_url, headers=self._auth, timeout=USERS_INFO_TIMEOUT)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            data = {"error": type(exc).__name__}
        if isinstance(data, dict) and data.get("ok") is True and isinstance(data.get("team_id"), str):
            enterprise = data.get("enterprise_id")
            self._own_team = (data["team_id"], enterprise if isinstance(enterprise, str) and enterprise else None)
            return self._own_team
        self.errors += 1
        self._own_team_retry = time.monotonic() + OWN_TEAM_RETRY
        reason = data.get("error") if isinstance(data, dict) else "bad answer"
        self._problem(f"auth.test failed: {reason}")
        log.warning("slack auth.test failed: %s", reason)
        return None

    async def user_info(self, user_id: str) -> dict[str, Any] | None:
        """The person's ``users.info`` record, cached; None when Slack can't say (never raises)."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached is not None and cached[0] > now:
            self._users.move_to_end(user_id)
            return cached[1]
        if now < self._rate_limited_until or self._failed.get(user_id, 0.0) > now:
            # Slack asked us to wait, or just failed for this person: they get in under the name in the
            # signed request rather than wait for (or hammer) Slack again.
            return cached[1] if cached else None
        user = await self._fetch_user(user_id)
        if user is None:
            self._failed[user_id] = time.monotonic() + FAILURE_MEMORY
            if len(self._failed) > _CACHE_SIZE:
                self._failed = {k: v for k, v in self._failed.items() if v > now}
            return cached[1] if cached else None
        self._failed.pop(user_id, None)
        self._remember(user_id, user)
        return user

    def _remember(self, user_id: str, user: dict[str, Any]) -> None:
        self._users[user_id] = (time.monotonic() + USERS_INFO_TTL, user)
        self._users.move_to_end(user_id)
        while len(self._users) > _CACHE_SIZE:
            self._users.popitem(last=False)

    async def _fetch_user(self, user_id: str) -> dict[str, Any] | None:
        user, _ = await self._fetch_user_or_error(user_id)
        return user

    async def _fetch_user_or_error(self, user_id: str) -> tuple[dict[str, Any] | None, str]:
        """(the record, "") or (None, Slack's error code or what went wrong)."""
        try:
            # POST with a form, as every Web API method accepts: the URL stays fixed, so it is parsed once.
            response = await self._http.post(
                self._users_info_url,
                data={"user": user_id, "include_locale": "true"},
                headers=self._auth,
                timeout=USERS_INFO_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            self.errors += 1
            self._problem(f"users.info failed: {type(exc).__name__}")
            log.warning("slack users.info failed: %s", type(exc).__name__)
            return None, "unreachable"
        if response.status_code == 429:
            self.errors += 1
            self._rate_limited_until = time.monotonic() + _retry_after(response)
            self._problem("users.info rate limited")
            log.warning("slack users.info rate limited for %.0f s", self._rate_limited_until - time.monotonic())
            return None, "ratelimited"
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict) or data.get("ok") is not True:
            reason = str(data.get("error")) if isinstance(data, dict) else f"HTTP {response.status_code}"
            if reason != "user_not_found":
                # A person who is not there is an answer, not a failure of Slack's.
                self.errors += 1
                self._problem(f"users.info failed: {reason}")
                log.warning("slack users.info failed: %s", reason)
            return None, reason
        user = data.get("user")
        return (_trimmed(user), "") if isinstance(user, dict) else (None, "bad answer")

    async def lookup_user(self, user_id: str) -> tuple[dict[str, Any] | None, str]:
        """Like ``user_info``, with why Slack gave no record (``user_not_found``, ``ratelimited``…); never raises."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1], ""
        if now < self._rate_limited_until:
            return None, "ratelimited"
        user, reason = await self._fetch_user_or_error(user_id)
        if user is not None:
            self._remember(user_id, user)
        return user, reason

    async def send_dm(self, user_id: str, message: dict[str, Any]) -> str:
        """Posts ``message`` in the bot's direct conversation with the person; "" when it went, else why not."""
        opened = await self._call(self._open_url, {"users": user_id}, "conversations.open")
        if isinstance(opened, str):
            return opened
        channel = opened.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, str):
            return "bad answer"
        body = {"channel": channel_id, "text": message.get("text", ""), "blocks": message.get("blocks", []),
                "unfurl_links": False, "unfurl_media": False}  # fmt: skip
        posted = await self._call(self._post_url, body, "chat.postMessage")
        return posted if isinstance(posted, str) else ""

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> bool:
        """``views.publish``: the person's Home tab."""
        answer = await self._call(self._publish_url, {"user_id": user_id, "view": view}, "views.publish")
        return not isinstance(answer, str)

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> str:
        """``views.open``: a modal, in answer to the click whose ``trigger_id`` this is (valid for 3 s); its view id,
        or "" when Slack refused."""
        answer = await self._call(self._modal_url, {"trigger_id": trigger_id, "view": view}, "views.open")
        if isinstance(answer, str):
            return ""
        opened = answer.get("view")
        view_id = opened.get("id") if isinstance(opened, dict) else None
        return view_id if isinstance(view_id, str) else ""

    async def update_modal(self, view_id: str, view: dict[str, Any]) -> bool:
        """``views.update``: what an open modal shows (no deadline, unlike views.open)."""
        answer = await self._call(self._update_url, {"view_id": view_id, "view": view}, "views.update")
        return not isinstance(answer, str)

    async def _call(self, url: httpx.URL, body: dict[str, Any], method: str) -> dict[str, Any] | str:
        """A Web API call with a JSON body: its answer, or why it failed (Slack's error code)."""
        try:
            response = await self._http.post(url, json=body, headers=self._auth, timeout=_RESPOND_TIMEOUT)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            data = {"error": type(exc).__name__}
        if isinstance(data, dict) and data.get("ok") is True:
            return data
        reason = str(data.get("error") or "bad answer") if isinstance(data, dict) else "bad answer"
        self.errors += 1
        self._problem(f"{method} failed: {reason}")
        log.warning("slack %s failed: %s", method, reason)
        return reason

    def _is_slacks(self, url: str) -> bool:
        try:
            parts = httpx.URL(url)
        except httpx.InvalidURL:
            return False
        if parts.host == "hooks.slack.com":
            return parts.scheme == "https"
        # SLACK_API_URL's host (whatever the port): slack.com itself, or a test double such as the sandbox's.
        return (parts.scheme, parts.host) == (self._api.scheme, self._api.host)

    async def respond(self, response_url: str, message: dict[str, Any]) -> bool:
        """Posts to a response_url, retrying briefly on 5xx and network errors. False when it gave up.

        Only to Slack's own hosts (``hooks.slack.com``, or SLACK_API_URL's host): a response_url gets a join link
        posted to it, so one that points elsewhere is refused rather than trusted."""
        if not self._is_slacks(response_url):
            self.errors += 1
            self._problem("response_url refused: not a Slack address")
            log.warning("slack: refused to post to a response_url that is not Slack's")
            return False
        delay = 0.5
        for attempt in range(1, _RESPOND_TRIES + 1):
            try:
                response = await self._http.post(response_url, json=message, timeout=_RESPOND_TIMEOUT)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 300:
                    return True
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break
            if attempt < _RESPOND_TRIES:
                await asyncio.sleep(delay)
                delay *= 2
        self.errors += 1
        self._problem(f"response_url post failed: {problem}")
        log.error("slack response_url post failed after %d tries: %s", attempt, problem)
        return False


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, min(600.0, float(response.headers.get("Retry-After", "30"))))
    except ValueError:
        return 30.0


# What the bot reads of a users.info record; the rest (a dozen image sizes, status, timezone...) is dropped so
# that a cache of thousands of people stays small.
_USER_KEYS = ("id", "team_id", "name", "locale", "is_admin", "is_owner", "is_primary_owner", "is_restricted",
              "is_ultra_restricted", "enterprise_user", "deleted", "is_bot", "is_app_user")  # fmt: skip
_PROFILE_KEYS = ("first_name", "last_name", "real_name", "real_name_normalized", "display_name",
                 "display_name_normalized", "email", "image_192", "image_512", "image_original", "image_72",
                 "image_48")  # fmt: skip


def _trimmed(user: dict[str, Any]) -> dict[str, Any]:
    kept = {key: user[key] for key in _USER_KEYS if key in user}
    profile = user.get("profile")
    if isinstance(profile, dict):
        kept["profile"] = {key: profile[key] for key in _PROFILE_KEYS if key in profile}
    return kept
