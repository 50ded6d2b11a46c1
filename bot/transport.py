"""The httpx transport under the bot's one ``httpx.AsyncClient``: HTTP/1.1 keep-alive connections, parsed by llhttp.

Profiling the bot under load (README, Performance) put most of its CPU in sending its four outbound requests per
/meet, not in the bot's own work: first httpcore's pool walking every connection on each call, then aiohttp's client
(a request object, a yarl URL, a header multidict and a timer set per call). The bot's requests are small, go to
two or three origins, and need nothing those clients add, so this writes the request in one buffer and lets
httptools (the llhttp parser that uvicorn and aiohttp also use) read the answer.

Errors come out as the httpx exceptions the callers map (``ConnectError`` with the TLS cause kept, ``ConnectTimeout``,
``PoolTimeout``, ``ReadTimeout``, ``RemoteProtocolError``), so nothing above this module knows how it is done.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable

import httptools
import httpx

# Below Tomcat's default keep-alive timeout (20 s), so the bot drops an idle connection before OM does and
# rarely writes into a socket the server is closing (the one retry below covers the rest).
KEEPALIVE_SECONDS = 10.0
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
# Awaited before an answer is handed back: lets the owner run something else first (bot/ack_first.py).
Gate = Callable[[], Awaitable[None]]


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection carrying one request at a time."""

    def __init__(self, origin: tuple[bytes, bytes, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._received = False
        self._headers_done = False
        self._complete = False
        self._keep_alive = False
        self._bodiless = False
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._received = True
        self._last_read = time.monotonic()
        if self._waiter is None:
            # Bytes nobody asked for: the connection can't be trusted with the next request.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None or self._waiter.done():
            return
        if self._headers_done and exc is None and not self._framed():
            # A body delimited by the end of the connection (no Content-Length, not chunked).
            self._complete = True
            self._waiter.set_result(None)
            return
        self._fail(_Dropped("the server closed the connection" + (f" ({exc})" if exc else "")))

    # -- httptools callbacks ---------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        if self._bodiless and self._waiter is not None and not self._waiter.done():
            # The answer to a HEAD has no body whatever its Content-Length says; the parser can't be told so, and
            # would wait for one. Done here, and the connection is not reused.
            self._complete, self._keep_alive = True, False
            self._waiter.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        # Read here: llhttp resets its state for the next message once this callback returns.
        self._keep_alive = self._parser.should_keep_alive()
        self._complete = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- used by the transport -------------------------------------------------

    async def exchange(
        self, request: bytes, read_timeout: float | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._headers, self._body = [], []
        self._received = self._headers_done = self._complete = self._keep_alive = False
        self._bodiless = request.startswith(b"HEAD ")
        self._last_read = time.monotonic()
        if read_timeout is not None:
            self._timer = loop.call_later(read_timeout, self._check_read, read_timeout)
        try:
            self.transport.write(request)
            await self._waiter
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._waiter = None
        if not self._keep_alive:
            self.close()
        return self._parser.get_status_code(), self._headers, b"".join(self._body)

    @property
    def reusable(self) -> bool:
        return not self.closed and self._complete

    @property
    def received_anything(self) -> bool:
        return self._received

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _framed(self) -> bool:
        return any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers)

    def _check_read(self, read_timeout: float) -> None:
        if self._waiter is None or self._waiter.done():
            return
        waited = time.monotonic() - self._last_read
        if waited < read_timeout:
            # Data came since the timer was set: the read timeout counts from the last read, as httpx's does.
            self._timer = asyncio.get_running_loop().call_later(read_timeout - waited, self._check_read, read_timeout)
            return
        self._fail(httpx.ReadTimeout("timed out waiting for the response"))
        self.close()

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)


class _Dropped(httpx.RemoteProtocolError):
    """The connection closed before the whole response came."""


class LeanTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 to any number of origins, at most ``max_connections`` requests in flight."""

    def __init__(
        self, *, verify: ssl.SSLContext | bool = True, max_connections: int = 100, gate: Gate | None = None
    ) -> None:
        self._gate = gate
        if isinstance(verify, ssl.SSLContext):
            self._ssl: ssl.SSLContext = verify
        else:
            self._ssl = ssl.create_default_context()
            if not verify:
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[tuple[bytes, bytes, int], deque[_Connection]] = {}
        self._busy: set[_Connection] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}", request=request)
        origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS[scheme])
        message = _head(request) + await request.aread()
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), timeouts.get("pool"))
            except TimeoutError as exc:
                raise httpx.PoolTimeout("no connection became free in time", request=request) from exc
        else:
            await self._slots.acquire()
        try:
            status, headers, content = await self._send(origin, message, timeouts, request)
        except httpx.RequestError as exc:
            exc.request = request
            raise
        finally:
            self._slots.release()
        if self._gate is not None:
            await self._gate()
        return httpx.Response(
            status, headers=headers, content=content, request=request, extensions={"http_version": b"HTTP/1.1"}
        )

    async def _send(
        self,
        origin: tuple[bytes, bytes, int],
        message: bytes,
        timeouts: dict[str, float | None],
        request: httpx.Request,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        conn = self._take_idle(origin)
        if conn is not None:
            try:
                return await self._exchange(conn, message, timeouts)
            except _Dropped:
                if conn.received_anything:
                    raise
                # The server closed the kept-alive connection as the request went in: it never read it.
        conn = await self._connect(origin, timeouts.get("connect"), request)
        return await self._exchange(conn, message, timeouts)

    async def _exchange(
        self, conn: _Connection, message: bytes, timeouts: dict[str, float | None]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        self._busy.add(conn)
        try:
            answer = await conn.exchange(message, timeouts.get("read"))
        except BaseException:
            conn.close()
            raise
        finally:
            self._busy.discard(conn)
        if conn.reusable:
            now = time.monotonic()
            conn.idle_since = now
            idle = self._idle.setdefault(conn.origin, deque())
            idle.append(conn)
            # Connections are taken from the right; the oldest, on the left, are dropped here once past use.
            while idle[0].closed or idle[0].idle_since <= now - KEEPALIVE_SECONDS:
                idle.popleft().close()
        return answer

    def _take_idle(self, origin: tuple[bytes, bytes, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        stale_before = time.monotonic() - KEEPALIVE_SECONDS
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.idle_since > stale_before:
                return conn
            conn.close()
        return None

    async def _connect(
        self, origin: tuple[bytes, bytes, int], within: float | None, request: httpx.Request
    ) -> _Connection:
        scheme, host, port = origin
        hostname = host.decode("ascii")
        loop = asyncio.get_running_loop()
        tls = self._ssl if scheme == b"https" else None
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(origin), hostname, port, ssl=tls, server_hostname=hostname if tls else None
                ),
                within,
            )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {hostname}:{port} timed out", request=request) from exc
        except OSError as exc:
            # Refused, DNS, TLS handshake: the ssl error stays in the cause chain for the caller.
            raise httpx.ConnectError(f"cannot connect to {hostname}:{port}: {exc}", request=request) from exc
        return conn

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        for conn in list(self._busy):
            conn.close()
        # Lets the transports finish closing before the loop moves on.
        await asyncio.sleep(0)


def _head(request: httpx.Request) -> bytes:
    """The request line and headers, refusing a header that would split the request (httpx lets CR and LF through)."""
    raw = request.headers.raw
    fields = b"".join([b"%s: %s\r\n" % pair for pair in raw])
    if fields.count(b"\n") != len(raw) or fields.count(b"\r") != len(raw):
        raise httpx.LocalProtocolError("a header holds a line break", request=request)
    return b"%s %s HTTP/1.1\r\n%s\r\n" % (request.method.encode("ascii"), request.url.raw_path, fields)
