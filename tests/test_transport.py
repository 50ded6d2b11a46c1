"""The bot's HTTP transport over real loopback sockets, against a server that scripts its answers byte for byte."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import trustme

from bot.http_client import LeanClient
from bot.transport import LeanTransport

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]


class Wire:
    """A loopback HTTP/1.1 server. ``script(reader, writer, n)`` answers the n-th request (0-based) of a
    connection, whose head and body it has already read into ``requests``; it returns False to stop reading."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.requests: list[bytes] = []
        self.request_seen = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, path: str = "/x", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + (await reader.readexactly(length) if length else b""))
                self.request_seen.set()
                if not await self.script(reader, writer, n):
                    break
                n += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
    writer.write(OK)
    await writer.drain()
    return True


@pytest.fixture
async def wire() -> AsyncIterator[Callable[[Script], Awaitable[Wire]]]:
    started: list[Wire] = []

    async def make(script: Script) -> Wire:
        server = Wire(script)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    http = LeanClient(transport=LeanTransport(max_connections=4), routes={})
    yield http
    await http.aclose()


async def test_requests_reuse_one_kept_alive_connection(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    server = await wire(answer_ok)
    for _ in range(3):
        response = await client.post(server.url(), data={"user": "a b", "pass": "c&d"})
        assert response.status_code == 200 and response.json() == {"ok": True}
    assert server.connections == 1
    assert server.requests[0].startswith(b"POST /x HTTP/1.1\r\n")
    assert server.requests[0].endswith(b"\r\n\r\nuser=a+b&pass=c%26d")


async def test_chunked_and_gzipped_bodies_are_decoded(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    packed = gzip.compress(b'{"serviceResult":{"message":"x","type":"SUCCESS"}}')

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (packed[:10], packed[10:]):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        return True

    server = await wire(chunked)
    for _ in range(2):
        response = await client.get(server.url())
        assert response.json()["serviceResult"]["type"] == "SUCCESS"
    assert server.connections == 1


async def test_a_body_ended_by_closing_the_connection_is_read_whole(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
        return False

    server = await wire(until_close)
    assert (await client.get(server.url())).text == "all of it"
    assert (await client.get(server.url())).text == "all of it"
    assert server.connections == 2


async def test_connection_close_is_honoured(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        return True  # the server would even read on; the client must not send on this connection again

    server = await wire(closing)
    for _ in range(2):
        assert (await client.get(server.url())).status_code == 204
    assert server.connections == 2


async def test_a_kept_alive_connection_the_server_dropped_is_retried_once_on_a_new_one(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    async def drops_second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        if n == 1:
            return False  # closed as the request came in, unanswered: an idle timeout racing the request
        await answer_ok(reader, writer, n)
        return True

    server = await wire(drops_second)
    assert (await client.get(server.url())).status_code == 200
    assert (await client.get(server.url())).status_code == 200
    assert server.connections == 2


async def test_a_new_connection_dropped_without_an_answer_is_an_error(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    async def drops(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        return False

    server = await wire(drops)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(server.url(), data={"a": "b"})
    assert server.connections == 1  # not retried: it may have been acted on


async def test_a_malformed_answer_is_a_protocol_error(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"<html>not http</html>\r\n\r\n")
        return True

    server = await wire(garbage)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(server.url())


async def test_silence_is_a_read_timeout(wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient) -> None:
    hung_up = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        await reader.read()  # until the client gives up
        hung_up.set()
        return False

    server = await wire(silent)
    with pytest.raises(httpx.ReadTimeout):
        await client.get(server.url(), timeout=0.2)
    await asyncio.wait_for(hung_up.wait(), 5)  # the timed-out connection is closed, never reused


async def test_refused_is_a_connect_error(client: httpx.AsyncClient) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(httpx.ConnectError):
        await client.get(f"http://127.0.0.1:{port}/")


async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    server = await wire(answer_ok)
    with pytest.raises(httpx.LocalProtocolError):
        await client.get(server.url(), headers={"X-Name": "Alice\r\nX-Moderator: true"})
    assert server.requests == []


async def test_a_full_pool_waits_then_times_out(wire: Callable[[Script], Awaitable[Wire]]) -> None:
    release = asyncio.Event()

    async def held(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        await release.wait()
        return await answer_ok(reader, writer, n)

    server = await wire(held)
    http = LeanClient(transport=LeanTransport(max_connections=1), routes={})
    first = asyncio.create_task(http.get(server.url()))
    await server.request_seen.wait()
    with pytest.raises(httpx.PoolTimeout):
        await http.get(server.url(), timeout=httpx.Timeout(5.0, pool=0.05))
    release.set()
    assert (await first).status_code == 200
    await http.aclose()


async def test_tls_is_verified_against_the_given_ca(wire: Callable[[Script], Awaitable[Wire]]) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    server = Wire(answer_ok)
    await server.start(tls=server_ctx)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    http = LeanClient(transport=LeanTransport(verify=trusting), routes={})
    assert (await http.get(server.url(scheme="https"))).status_code == 200
    stranger = LeanClient(transport=LeanTransport(), routes={})
    with pytest.raises(httpx.ConnectError) as caught:
        await stranger.get(server.url(scheme="https"))
    cause: BaseException | None = caught.value
    while cause is not None and not isinstance(cause, ssl.SSLError):
        cause = cause.__cause__
    assert isinstance(cause, ssl.SSLCertVerificationError)  # kept for the OM client's "TLS" message
    await http.aclose()
    await stranger.aclose()
    await server.stop()


async def test_the_gate_is_passed_before_an_answer_is_handed_back(wire: Callable[[Script], Awaitable[Wire]]) -> None:
    server = await wire(answer_ok)
    entered, opened = asyncio.Event(), asyncio.Event()

    async def gate() -> None:
        entered.set()
        await opened.wait()

    http = LeanClient(transport=LeanTransport(gate=gate), routes={})
    pending = asyncio.create_task(http.get(server.url()))
    await entered.wait()  # the whole answer is in; the gate still holds it
    assert not pending.done()
    opened.set()
    assert (await pending).status_code == 200
    await http.aclose()


async def test_a_head_answer_has_no_body_whatever_its_length_says(
    wire: Callable[[Script], Awaitable[Wire]], client: httpx.AsyncClient
) -> None:
    async def head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
        return True

    server = await wire(head)
    response = await client.head(server.url(), timeout=5.0)
    assert response.status_code == 200 and response.content == b""


async def test_a_proxy_from_the_environment_is_used_except_for_the_routed_origin(
    wire: Callable[[Script], Awaitable[Wire]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = await wire(answer_ok)
    direct = await wire(answer_ok)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    http = LeanClient(transport=LeanTransport(), routes={f"http://127.0.0.1:{direct.port}": LeanTransport()})
    assert (await http.post("http://slack.test/api/users.info", data={"user": "U1"})).status_code == 200
    assert proxy.requests[0].startswith(b"POST http://slack.test/api/users.info HTTP/1.1\r\n")
    assert (await http.get(direct.url())).status_code == 200  # OM's origin: straight there
    assert len(proxy.requests) == 1 and len(direct.requests) == 1
    await http.aclose()
