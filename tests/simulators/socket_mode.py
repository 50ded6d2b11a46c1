"""A stand-in for Slack's Socket Mode WebSocket server, and a driver that sends ``/meet`` and clicks through it.

The protocol, as Slack speaks it (https://docs.slack.dev/apis/events-api/using-socket-mode):

- the app calls ``apps.connections.open`` with its app-level token and gets a one-time ``wss://`` URL
  (here ``ws://127.0.0.1:<port>/link?ticket=…``; the Slack simulator hands out ``open_url()``);
- on connect the server sends ``{"type": "hello", …}``;
- each request is an envelope ``{"envelope_id", "type": "slash_commands" | "interactive" | "events_api",
  "payload", "accepts_response_payload"}``, which the app acks with ``{"envelope_id", "payload"?}``;
- the server asks the app to move with ``{"type": "disconnect", "reason": "refresh_requested"}`` (the app
  opens a new connection through ``apps.connections.open``), or the connection simply drops.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .slack import (
    Sink,
    SlackSimulator,
    SlackUser,
    app_home_opened,
    click_payload,
    command_fields,
    home_click_payload,
)
from .waiting import wait_for

APP_ID = "A0APP0001"


@dataclass
class Connection:
    number: int
    ws: web.WebSocketResponse
    request: web.Request
    received: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection: int


class SocketModeServer:
    def __init__(self) -> None:
        self.connections: list[Connection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.rejected_tickets = 0
        self._tickets: set[str] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for connection in self.connections:
            if not connection.closed:
                await connection.ws.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def open_url(self) -> str:
        """What ``apps.connections.open`` answers: a URL good for one connection."""
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link?ticket={ticket}&app_id={APP_ID}"

    # -- state --------------------------------------------------------------------------

    @property
    def live(self) -> Connection | None:
        """The newest open connection: where Slack sends the next envelope."""
        open_ones = [c for c in self.connections if not c.closed]
        return open_ones[-1] if open_ones else None

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        try:
            await wait_for(self._changed, predicate, timeout, "Socket Mode server")
        except TimeoutError as exc:
            states = [(c.number, "closed" if c.closed else "open") for c in self.connections]
            raise TimeoutError(f"{exc}; {states}") from None

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> Connection:
        """Waits until ``count`` connections have been made and the newest is open."""
        await self.wait_until(lambda: len(self.connections) >= count and self.live is not None, timeout)
        live = self.live
        assert live is not None
        return live

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- what Slack sends ------------------------------------------------------------------

    async def send(self, type_: str, payload: dict[str, Any], *, accepts_response_payload: bool) -> Envelope:
        connection = self.live
        if connection is None:
            raise AssertionError("no open Socket Mode connection to send on")
        envelope = Envelope(secrets.token_hex(12), type_, payload, connection.number)
        await connection.ws.send_json(
            {
                "envelope_id": envelope.envelope_id,
                "type": type_,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope

    async def wait_ack(self, envelope: Envelope, timeout: float = 3.0) -> dict[str, Any]:
        # Slack gives an app 3 s to ack, then retries; an ack this late is a failure.
        await self.wait_until(lambda: envelope.envelope_id in self.acks, timeout)
        return self.acks[envelope.envelope_id]

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        connection = self.live
        assert connection is not None
        await connection.ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sim"}})

    async def drop(self) -> None:
        """Cuts the live connection's TCP stream without a WebSocket close frame, as a network failure would."""
        connection = self.live
        assert connection is not None
        transport = connection.request.transport
        assert transport is not None
        transport.abort()
        connection.closed = True
        await self._notify()

    # -- the WebSocket endpoint ------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            self.rejected_tickets += 1
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        connection = Connection(len(self.connections) + 1, ws, request)
        self.connections.append(connection)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": sum(1 for c in self.connections if not c.closed),
                "debug_info": {"host": "applink-sim", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        await self._notify()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                connection.received.append(data)
                if isinstance(data, dict) and "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data
                await self._notify()
        finally:
            connection.closed = True
            await self._notify()
        return ws


@dataclass
class Delivered:
    envelope: Envelope
    ack: dict[str, Any]
    sink: Sink
    elapsed: float


class SocketModeDriver:
    """Sends what Slack sends to a Socket Mode app: the same payloads as over HTTP, in envelopes."""

    def __init__(self, slack: SlackSimulator, server: SocketModeServer) -> None:
        self.slack = slack
        self.server = server

    async def command(self, user: SlackUser, text: str = "", **kwargs: Any) -> Delivered:
        fields, sink = command_fields(self.slack, user, text, **kwargs)
        return await self._deliver("slash_commands", fields, sink, accepts_response_payload=True)

    async def click(self, user: SlackUser, message: dict[str, Any]) -> Delivered:
        payload, sink = click_payload(self.slack, user, message)
        return await self._deliver("interactive", payload, sink, accepts_response_payload=False)

    async def home_opened(self, user: SlackUser, tab: str = "home") -> dict[str, Any]:
        """The app_home_opened event in an events_api envelope; returns the ack."""
        envelope = await self.server.send("events_api", app_home_opened(self.slack, user, tab),
                                          accepts_response_payload=False)  # fmt: skip
        return await self.server.wait_ack(envelope)

    async def home_click(self, user: SlackUser, button: dict[str, Any]) -> dict[str, Any]:
        envelope = await self.server.send("interactive", home_click_payload(self.slack, user, button),
                                          accepts_response_payload=False)  # fmt: skip
        return await self.server.wait_ack(envelope)

    async def _deliver(
        self, type_: str, payload: dict[str, Any], sink: Sink, *, accepts_response_payload: bool
    ) -> Delivered:
        start = time.perf_counter()
        envelope = await self.server.send(type_, payload, accepts_response_payload=accepts_response_payload)
        ack = await self.server.wait_ack(envelope)
        return Delivered(envelope, ack, sink, time.perf_counter() - start)
