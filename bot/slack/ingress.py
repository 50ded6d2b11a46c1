"""``POST /slack/events``: Slack's signature checked on every request, then the ack before Bolt's dispatch.

A slash command, a button click or an Events API callback is acked with an empty 200 as soon as its signature holds,
and Bolt dispatches it behind the ack as tracked background work (with ``acked`` in its context, so the listener does
its work in place), once ``pacer`` gives it its turn. Under a burst each ack then costs an HMAC and a look at the body,
not a trip through Bolt's middleware. Anything else (``url_verification``) goes through Bolt, which answers it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from handlers.deps import Work
from handlers.listener import ACKED

from .pacer import Pacer

log = logging.getLogger(__name__)

# Slack refuses a signature more than 5 minutes old; so does slack_sdk's check.
CLOCK_SKEW = 300
WARN_EVERY = 60.0

Headers = dict[str, str | Sequence[str]]


class SignatureCheck:
    """Slack's signature check, with a malformed timestamp counted as a bad signature rather than an error, and a
    rate-limited WARNING that says what is likely wrong (never the secret, the signature or the body)."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._clock = clock
        self._warned_at: float | None = None
        self._refused = 0

    def valid(self, body: str, headers: Mapping[str, str]) -> bool:
        timestamp = headers.get("X-Slack-Request-Timestamp")
        signature = headers.get("X-Slack-Signature")
        try:
            if self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
                return True
        except ValueError:
            pass
        self._refused += 1
        self._warn(timestamp, signature)
        return False

    def _warn(self, timestamp: str | None, signature: str | None) -> None:
        now = self._clock()
        if self._warned_at is not None and now - self._warned_at < WARN_EVERY:
            return
        self._warned_at = now
        refused, self._refused = self._refused, 0
        if not timestamp or not signature:
            cause = "it carried no Slack signature (not from Slack, or a proxy dropped the X-Slack-* headers)"
        elif (skew := _skew(timestamp, now)) is not None and abs(skew) > CLOCK_SKEW:
            cause = (
                f"its timestamp is {abs(skew) / 60:.0f} minutes {'behind' if skew > 0 else 'ahead of'} this "
                "machine's clock: set the clock right (NTP); Slack refuses signatures older than 5 minutes"
            )
        else:
            cause = (
                "the signature does not match: SLACK_SIGNING_SECRET is likely wrong (Slack app → Basic Information "
                "→ App Credentials → Signing Secret), or this machine's clock is off by minutes"
            )
        log.warning("slack: refused %d request(s) with a bad signature (answered 401): %s", refused, cause)


def _skew(timestamp: str, now: float) -> float | None:
    try:
        return now - int(timestamp)
    except ValueError:
        return None


def is_ssl_check(body: str) -> bool:
    """Slack's certificate check: a form with ``ssl_check=1`` at its top level, which may come unsigned. It is
    answered with an empty 200 here and never dispatched, whatever else the body holds, so it is no way past the
    signature check into a listener."""
    if "ssl_check" not in body or body.startswith("{"):
        return False
    try:
        fields = parse_qs(body, max_num_fields=64)
    except ValueError:
        return False
    return fields.get("ssl_check") == ["1"]


def acked_empty(body: str) -> bool:
    """A slash command, a block_actions click or an Events API callback: its ack is an empty 200 whatever the
    listener does. (``url_verification`` is not: Bolt answers it with its challenge.)"""
    # Form keys can't hold a raw "&" or "=", so this finds a "command" field and nothing else.
    if "&command=" in "&" + body:
        return True
    if body.startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            return False
        return isinstance(parsed, dict) and parsed.get("type") == "event_callback"
    if not body.startswith("payload=") and "&payload=" not in body:
        return False
    payload = parse_qs(body, max_num_fields=64).get("payload")
    if not payload:
        return False
    try:
        parsed = json.loads(payload[0])
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("type") == "block_actions"


class Ingress:
    def __init__(
        self, bolt: AsyncApp, check: SignatureCheck, spawn: Callable[[Work, str], None], pacer: Pacer | None = None
    ) -> None:
        self._bolt = bolt
        self._check = check
        self._spawn = spawn
        self._pacer = pacer or Pacer()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        headers: Headers = dict(request.headers)
        if is_ssl_check(body):
            return web.Response(status=200)
        if not self._check.valid(body, request.headers):
            # Checked here for every request, so Bolt (built with its own check off) never sees an unsigned one.
            return web.json_response({"error": "invalid request"}, status=401)
        if acked_empty(body):
            self._pacer.acked()
            self._spawn(self._dispatch(body, request.query_string, headers), "dispatch")
            return web.Response(status=200)
        response = await self._bolt.async_dispatch(
            AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        )
        return await to_aiohttp_response(response)

    async def _dispatch(self, body: str, query: str, headers: Headers) -> None:
        await self._pacer.turn()
        request = AsyncBoltRequest(body=body, query=query, headers=headers, context={ACKED: True})
        response = await self._bolt.async_dispatch(request)
        if response.status != 200:
            log.warning("slack request answered %d after its early ack", response.status)
