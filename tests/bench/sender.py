"""The load generator's side of ``POST /slack/events``: raw HTTP/1.1 keep-alive connections, requests built ahead.

The ack time is what Slack would see: from the request's write to the first byte of the answer, stamped in the
protocol callback before this process schedules anything else. A general HTTP client here would add its own
per-request work (a request object, header merging, a task per response) to every figure, and under a wave of 100
that queueing, not the app, would set the p99.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

import httptools


def signed_request(path: str, host: str, body: str, secret: str) -> bytes:
    """A complete signed request, as Slack sends it."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    data = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: v0={digest}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


class _Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[float, int]] | None = None
        self.first_byte = 0.0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.first_byte:
            self.first_byte = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.first_byte, self.parser.get_status_code()))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("closed"))

    def _fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)


class Sender:
    """Sends prepared requests to one app over reused connections; returns (sent, acked, status)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[_Conn] = []

    async def warm(self, connections: int) -> None:
        """Opens connections ahead, so a wave's ack times carry no TCP handshake (Slack's pool keeps them open).

        Each then carries one request for a path that does not exist: a 404 from the router means the app has
        taken the connection in, so that work is not counted in the first wave's acks either.
        """
        opened = [await self._open() for _ in range(connections - len(self._idle))]
        probe = f"GET /bench-warm-up HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        self._idle.extend(opened)
        # Each send takes a different idle connection before any answer comes back: one probe on every one.
        await asyncio.gather(*(self.send(probe, 10.0) for _ in range(len(self._idle))))

    async def send(self, request: bytes, timeout: float) -> tuple[float, float, int]:
        conn = self._idle.pop() if self._idle else await self._open()
        while conn.closed:
            conn = self._idle.pop() if self._idle else await self._open()
        assert conn.transport is not None
        conn.waiter = asyncio.get_running_loop().create_future()
        conn.first_byte = 0.0
        sent = time.monotonic()
        conn.transport.write(request)
        try:
            acked, status = await asyncio.wait_for(conn.waiter, timeout)
        except (OSError, TimeoutError, httptools.HttpParserError):
            if conn.transport is not None:
                conn.transport.close()
            return sent, time.monotonic(), 0
        self._idle.append(conn)
        return sent, acked, status

    async def _open(self) -> _Conn:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Conn, self.host, self.port)
        return conn

    def close(self) -> None:
        for conn in self._idle:
            if conn.transport is not None:
                conn.transport.close()
        self._idle.clear()
